/**
 * compile(): the product's example rule compiles to a readable, deterministic module whose
 * blocks name their rules; commutative ops are matched in both orders; user mistakes come
 * back as diagnostics with locations.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../../src/compiler/compile.js";

const dialect = `
dialect onnx {
  op Conv(X, W, B?) {
    auto_pad: enum(NOTSET, SAME_UPPER, SAME_LOWER, VALID) = NOTSET
    dilations: int[] = []
    group: int = 1
    kernel_shape: int[] = []
    pads: int[] = []
    strides: int[] = []
  }
  commutative op Mul(A, B)
  commutative op Add(A, B)
  op Relu(X)
}
dialect ms {
  op FusedConv(X, W, B?, Z?) domain "com.microsoft" {
    activation: string = ""
  }
}
`;

const example = `${dialect}
/// Fold a per-output-channel constant multiply into the convolution.
rule FoldMulIntoConv priority 10:
  Mul(C: const, conv: Conv(x, W: const, b?: const))
  where hasOneUse(conv) && channelwise(C, conv, 1)
  => Conv(x, W * C@0, (b ?? zeros([dim(W, 0)])) * C@0) { ...conv }

rule ReluOfConv:
  Relu(conv: Conv(x, W, b?) { group: 1 })
  where hasOneUse(conv)
  => FusedConv(x, W, b) { activation: "Relu" }
`;

/** 1-based line of the first line of `source` containing `text`. */
function lineOf(source: string, text: string): number {
  return source.slice(0, source.indexOf(text)).split("\n").length;
}

async function compileSource(source: string) {
  return compile([{ path: "mem/pack.rules", source }], { cwd: process.cwd() });
}

test("the product's example compiles into one module per pack", async () => {
  const result = await compileSource(example);
  assert.equal(result.diagnostics, []);
  assert.equal(result.modules.map((m) => [m.pack, m.fileName]), [["pack", "pack.ts"]]);
  const code = result.modules[0]!.code;
  assert.match(code, /export const pass: Pass = \{ name: "pack", rules, apply \};/);
  assert.match(code, /from "fusec\/runtime";/);
});

test("every rule block is preceded by its rule's name, location, match, condition and result", async () => {
  const code = (await compileSource(example)).modules[0]!.code;
  const lines = code.split("\n").map((l) => l.trim());
  const at = lines.indexOf(`// rule FoldMulIntoConv (mem/pack.rules:${lineOf(example, "rule FoldMulIntoConv")})`);
  assert.ok(at > 0, "rule comment present");
  assert.equal(lines[at + 1], "// match: Mul(C: const, conv: Conv(x, W: const, b?: const))");
  assert.equal(lines[at + 2], "// cond: hasOneUse(conv) && channelwise(C, conv, 1)");
  assert.equal(lines[at + 3], "// result: Conv(x, W * C@0, (b ?? zeros([dim(W, 0)])) * C@0) { ...conv }");
  assert.match(lines[at + 4]!, /if \(rw\.begin\(0\)\)/);
  assert.ok(lines.includes(`// rule ReluOfConv (mem/pack.rules:${lineOf(example, "rule ReluOfConv")})`));
});

test("dispatch keys and created ops carry non-default domains", async () => {
  const code = (await compileSource(example)).modules[0]!.code;
  assert.match(code, /case "Relu":\s+return matchRelu\(rw, node\);/);
  assert.match(code, /rw\.create\("FusedConv", "com\.microsoft", \[x, W, b\], \{\s*activation: A\.string\("Relu"\),?\s*\}\)/);
  assert.match(code, /rw\.attrInt\(conv, "group", 1\) !== 1/);
});

test("commutative operands are tried in both orders; failed tests say why", async () => {
  const code = (await compileSource(example)).modules[0]!.code;
  assert.match(code, /for \(const \[C, convOut\] of bothOrders\(mulA, mulB\)\)/);
  assert.match(code, /rw\.fail\("where channelwise\(C, conv, 1\)"\);\s+continue;/);
  assert.match(code, /rw\.fail\("where hasOneUse\(conv\)"\);\s+break ReluOfConv;/);
});

test("rules on one root run by priority, then source order", async () => {
  const source = `${dialect}
rule Low:
  Relu(x: Relu(_))
  => x
rule High priority 5:
  Relu(conv: Conv(x, W, b?))
  where hasOneUse(conv)
  => FusedConv(x, W, b) { activation: "Relu" }
`;
  const result = await compileSource(source);
  assert.equal(result.diagnostics, []);
  const code = result.modules[0]!.code;
  assert.ok(code.indexOf("// rule High") < code.indexOf("// rule Low"), "High first");
  assert.match(code, /High: if \(rw\.begin\(1\)\)/);
  assert.match(code, /Low: if \(rw\.begin\(0\)\)/);
});

test("the same rules compile to byte-identical modules", async () => {
  const first = await compileSource(example);
  const second = await compileSource(example);
  assert.is(first.modules[0]!.code, second.modules[0]!.code);
});

test("a rule using a non-constant operand in a constant expression is a diagnostic, not a crash", async () => {
  const bad = `${dialect}
rule ScaleNotConst:
  Mul(C, conv: Conv(x, W, b?))
  => Conv(x, W * C@0, b) { ...conv }
`;
  const result = await compileSource(bad);
  assert.equal(result.modules, []);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  assert.ok(errors.length > 0, "reported");
  assert.is(errors[0]!.span.file, "mem/pack.rules");
  assert.is(errors[0]!.span.start.line, lineOf(bad, "=> Conv(x, W * C@0"));
});

test("comparing a list with list arithmetic (a tensor) is a diagnostic, not code that cannot type-check", async () => {
  const bad = `${dialect}
rule PadsPlusOne:
  Relu(c: Conv(_x, _W) { pads: p })
  where p + 1 == [1, 1, 1, 1]
  => c
`;
  const result = await compileSource(bad);
  assert.equal(result.modules, []);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, "cannot compare a constant tensor with a list of ints");
  assert.is(errors[0]!.span.start.line, lineOf(bad, "where p + 1"));
});

test("asking about the uses, shape or dtype of a possibly absent operand is a diagnostic, not code that cannot type-check", async () => {
  const bad = `${dialect}
rule BiasShape:
  Relu(c: Conv(_x, _W, b?))
  where rank(b) == 1
  => c
`;
  const result = await compileSource(bad);
  assert.equal(result.modules, []);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, "'b' may be absent (bound as 'b?')");
  assert.is(errors[0]!.span.start.line, lineOf(bad, "where rank(b)"));
  assert.is(errors[0]!.span.start.column, "  where rank(".length + 1);
});

test("laying a constant along an axis of a number is a diagnostic (the rule could never fire)", async () => {
  const bad = `${dialect}
rule AlongANumber:
  Mul(C: const, conv: Conv(x, W: const))
  => Conv(x, W * (C@0 * 2)) { ...conv }
`;
  const result = await compileSource(bad);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, "'@0' lays elements along an axis of the other operand of '*', but that is an int");
  assert.is(errors[0]!.span.start.line, lineOf(bad, "=> Conv(x, W * (C@0"));
});

test("a multi-output root may be replaced by one value: its leading output", async () => {
  const source = `
dialect d {
  op Dropout(data, ratio?) outputs(output, mask)
  op Split2(x) outputs(lo, hi)
  op Neg(x)
}
rule DropDropout:
  Dropout(x)
  => x

rule NegateSplit:
  Split2(x)
  => Neg(x)
`;
  const result = await compileSource(source);
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), []);
  const code = result.modules[0]!.code;
  assert.match(code, /return rw\.replace\(root, \[x\]\);/);
  assert.match(code, /return rw\.replace\(root, \[newNeg\]\);/);
});

test("perm built-ins compose and test transposes at any rank", async () => {
  const source = `
dialect d {
  op Transpose(data) { perm: int[] = [] }
}
rule ComposeTransposes:
  Transpose(Transpose(x) { perm: p }) { perm: q }
  where len(p) == len(q) && !isIdentityPerm(q)
  => Transpose(x) { perm: composePerm(p, q) }
`;
  const result = await compileSource(source);
  assert.equal(result.diagnostics.filter((d) => d.severity === "error"), []);
  const code = result.modules[0]!.code;
  assert.match(code, /A\.ints\(G\.composePerm\(p, q\)\)/);
  assert.match(code, /if \(G\.isIdentityPerm\(q\)\)/);
  const wrong = await compileSource(source.replace("composePerm(p, q)", "composePerm(p)"));
  assert.ok(wrong.diagnostics.some((d) => d.code === "builtin-call" && /'composePerm' takes 2/.test(d.message)));
});

test.run();
