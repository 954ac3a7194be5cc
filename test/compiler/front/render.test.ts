/** Rendering: header line, code frame with caret underline, related notes, optional colour. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyze } from "../../../src/compiler/analyze.js";
import { renderDiagnostic, sourcesOf } from "../../../src/compiler/render.js";

test("a diagnostic renders as location, severity[code], message, code frame and notes", () => {
  const source = `dialect d { op Relu(x) }
rule A: Relu(x) => x
rule A: Relu(Relu(x)) => x`;
  const { program, diagnostics } = analyze([{ path: "dup.rules", source }]);
  const duplicate = diagnostics.find((d) => d.code === "duplicate-rule-name")!;
  const text = renderDiagnostic(duplicate, sourcesOf(program.files));
  assert.is(
    text,
    [
      "dup.rules:3:6: error[duplicate-rule-name]: a rule named 'A' already exists",
      "3 | rule A: Relu(Relu(x)) => x",
      "  |      ^",
      "dup.rules:2:6: note: 'A' is first defined here",
      "2 | rule A: Relu(x) => x",
      "  |      ^",
    ].join("\n"),
  );
});

test("carets cover the span; colour adds escapes only when asked", () => {
  const { program, diagnostics } = analyze([{ path: "u.rules", source: `dialect d { op Relu(x) }\nrule B: Relu(Convv(x)) => x` }]);
  const unknown = diagnostics.find((d) => d.code === "unknown-op")!;
  const plain = renderDiagnostic(unknown, sourcesOf(program.files));
  assert.ok(plain.endsWith("  |              ^^^^^"));
  const coloured = renderDiagnostic(unknown, sourcesOf(program.files), { color: true });
  assert.ok(coloured.includes("\u001b["));
  assert.not.ok(plain.includes("\u001b["));
});

test("without the source text, only the header is printed", () => {
  const { diagnostics } = analyze([{ path: "u.rules", source: `rule B: Relu(x) => x` }]);
  assert.equal(renderDiagnostic(diagnostics[0]!, () => undefined).split("\n").length, 1);
});

test.run();
