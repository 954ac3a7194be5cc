/** The parser's AST (with families expanded by expand.ts): rules, patterns, results, families, doc comments and source slices. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OpPattern, ResultOp } from "../../../src/compiler/ast.js";
import { expand } from "../../../src/compiler/expand.js";
import { parseRules } from "../../../src/compiler/parse.js";

const parse = (source: string) => {
  const parsed = parseRules("test.rules", source);
  return { ...parsed, diagnostics: [...parsed.diagnostics, ...expand([parsed.file])] };
};

test("a rule records name, priority, doc, pattern, condition, lets, result and source slices", () => {
  const { file, diagnostics } = parse(`
/// Folds a multiply.
/// Second line.
rule Fold priority 10:
  Mul(C: const, conv: Conv(x, W: const, b?: const) { group: 1, pads: p })
  where hasOneUse(conv)
  let s = C * 2
  => Conv(x, W * s@0, b ?? zeros([dim(W, 0)])) { ...conv, group: 1 }
`);
  assert.equal(diagnostics, []);
  const rule = file.rules[0]!;
  assert.is(rule.name, "Fold");
  assert.is(rule.priority, 10);
  assert.is(rule.doc, "Folds a multiply.\nSecond line.");
  assert.is(rule.matchText, "Mul(C: const, conv: Conv(x, W: const, b?: const) { group: 1, pads: p })");
  assert.is(rule.resultText, "Conv(x, W * s@0, b ?? zeros([dim(W, 0)])) { ...conv, group: 1 }");
  const conv = rule.pattern.operands[1] as OpPattern;
  assert.is(conv.binding?.name, "conv");
  assert.equal(
    conv.operands.map((o) => (o.kind === "VarPattern" ? [o.name.name, o.optional, o.constant] : o.kind)),
    [["x", false, false], ["W", false, true], ["b", true, true]],
  );
  assert.equal(conv.attrs.map((a) => [a.name.name, a.value.kind]), [["group", "Number"], ["pads", "Ident"]]);
  assert.is(rule.where?.kind, "Call");
  assert.is(rule.lets[0]?.name.name, "s");
  const result = rule.result as ResultOp;
  assert.is(result.kind, "ResultOp");
  assert.equal(result.operands.map((o) => o.kind), ["Ident", "Binary", "Binary"]);
  const scaled = result.operands[1]!;
  assert.ok(scaled.kind === "Binary" && scaled.right.kind === "Along" && scaled.right.axis === 0);
  const withDefault = result.operands[2]!;
  assert.ok(withDefault.kind === "Binary" && withDefault.op === "??" && withDefault.right.kind === "Call");
  assert.equal(result.attrs.map((a) => a.spread?.name ?? a.name?.name), ["conv", "group"]);
  assert.is(rule.span.start.line, 4);
  assert.is(rule.nameSpan.start.column, 6);
});

test("wildcards, literal leaves, qualified ops and nested result ops", () => {
  const { file, diagnostics } = parse(`rule R: tfl.Mul(_, -1.5) => Relu(tfl.Neg(x))`);
  assert.equal(diagnostics, []);
  const rule = file.rules[0]!;
  assert.equal(rule.pattern.op.dialect, "tfl");
  assert.equal(rule.pattern.operands.map((o) => o.kind), ["WildcardPattern", "LiteralPattern"]);
  assert.is((rule.pattern.operands[1] as { value: number }).value, -1.5);
  const result = rule.result as ResultOp;
  assert.is((result.operands[0] as ResultOp).op.dialect, "tfl");
});

test("built-in calls in results stay expressions; other calls are result ops", () => {
  const { file } = parse(`rule R: Relu(x: const) => sqrt(x)
rule S: Relu(x) => Identity(x)`);
  assert.is(file.rules[0]!.result.kind, "Call");
  assert.is(file.rules[1]!.result.kind, "ResultOp");
});

test("families expand per iteration, substituting ops and literals", () => {
  const { file, diagnostics } = parse(`
/// Family doc.
for (act, name) in [(Relu, "RELU"), (tfl.Relu6, "RELU6")] {
  rule Fuse:
    act(c: Conv2D(x) { f: "NONE" })
    => Conv2D(x) { ...c, f: name }
}
for k in [1.0, 2] { rule Scale: Mul(x, k) => x }`);
  assert.equal(diagnostics, []);
  assert.equal(file.rules.map((r) => r.name), ["Fuse[Relu,RELU]", "Fuse[tfl.Relu6,RELU6]", "Scale[1.0]", "Scale[2]"]);
  const second = file.rules[1]!;
  assert.equal(second.pattern.op.dialect, "tfl");
  assert.equal(second.pattern.op.name, "Relu6");
  assert.equal(second.family, { name: "Fuse", bindings: { act: "tfl.Relu6", name: "RELU6" } });
  assert.is(second.doc, "Family doc.");
  const attr = (second.result as ResultOp).attrs[1]!;
  assert.ok(attr.value?.kind === "String" && attr.value.value === "RELU6");
  const leaf = file.rules[3]!.pattern.operands[1]!;
  assert.ok(leaf.kind === "LiteralPattern" && leaf.value === 2);
});

test("dialects: operands, outputs, domain, commutative, typed attributes with defaults", () => {
  const { file, diagnostics } = parse(`
dialect d {
  /// Doc of Op.
  op Op(X, B?, rest...) outputs(y, mask) domain "com.x" {
    e: enum(A, B) = A
    l: int[] = [1, 2]
    f: float = -0.5
    s: string[] = ["a"]
    t: tensor
  }
  commutative op Add(a, b)
}`);
  assert.equal(diagnostics, []);
  const op = file.dialects[0]!.ops[0]!;
  assert.equal(op.operands.map((o) => o.arity), ["required", "optional", "variadic"]);
  assert.equal(op.outputs, ["y", "mask"]);
  assert.is(op.domain, "com.x");
  assert.is(op.doc, "Doc of Op.");
  assert.equal(op.attrs.map((a) => a.type.kind), ["enum", "ints", "float", "strings", "tensor"]);
  assert.equal(op.attrs[0]!.default && op.attrs[0]!.default.kind === "String" && op.attrs[0]!.default.value, "A");
  assert.is(op.attrs[4]!.default, undefined);
  assert.ok(file.dialects[0]!.ops[1]!.commutative);
  assert.equal(file.dialects[0]!.ops[1]!.outputs, ["output"]);
});

test("externs and imports", () => {
  const { file, diagnostics } = parse(`import "a/b.rules";
extern pred p(v: value, n: node, k: int[]) from "./p.ts"`);
  assert.equal(diagnostics, []);
  assert.is(file.imports[0]!.path, "a/b.rules");
  assert.equal(file.externs[0]!.params.map((p) => p.type), ["value", "node", "ints"]);
  assert.is(file.externs[0]!.from, "./p.ts");
});

test("every syntax error of a file is reported, each with its own position", () => {
  const { diagnostics } = parse(`rule A: Relu(x => x
rule B: Relu(x) => x
rule C: Relu(,) => x
rule D Relu(x) => x
rule E: Relu(x) => Conv(x,`);
  assert.equal(
    diagnostics.map((d) => [d.code, d.span.start.line]),
    [["syntax", 1], ["syntax", 3], ["syntax", 4], ["syntax", 5]],
  );
  assert.match(diagnostics[0]!.message, "to close 'Relu(' opened at 1:13");
  assert.match(diagnostics[3]!.message, "but found end of file");
});

test("what parses but is not meaningful is recorded for the checks, not reported", () => {
  const { file, diagnostics } = parse(`dialect d { op A(x) { k: double } }
extern pred p(v: values) from "./p.ts"
rule R priority 1.5: x => x
rule W: Add(_?, _: const) => Relu(1.0)`);
  assert.equal(diagnostics, []);
  assert.equal(file.dialects[0]!.ops[0]!.attrs[0]!.typeName?.text, "double");
  assert.equal(file.externs[0]!.params[0]!.typeName?.text, "values");
  const [r, w] = file.rules;
  assert.ok(r!.priorityLiteral && !r!.priorityLiteral.isInt && r!.priorityLiteral.value === 1.5);
  assert.equal(r!.writtenRoot?.kind, "VarPattern");
  const [optional, constant] = w!.pattern.operands;
  assert.ok(optional!.kind === "WildcardPattern" && optional.optional === true && !optional.constant);
  assert.ok(constant!.kind === "WildcardPattern" && constant.constant === true && !constant.optional);
});

test("malformed types, '?' on a node binding, names in attribute lists and fractional axes are recorded for the checks", () => {
  const { file, diagnostics } = parse(`dialect d { op A(x) { k: int(a)  m: enum(p, q)[] } }
rule R: Relu(c?: Conv(x, _)) { pads: [0, p] } => Mul(x, c@1.5)`);
  assert.equal(diagnostics, []);
  const [k, m] = file.dialects[0]!.ops[0]!.attrs;
  assert.equal(k!.typeForm?.form, "parameters");
  assert.equal(k!.type, { kind: "int" });
  assert.equal(m!.typeForm?.form, "enum-list");
  const rule = file.rules[0]!;
  const conv = rule.pattern.operands[0]!;
  assert.ok(conv.kind === "OpPattern" && conv.binding?.name === "c" && conv.optionalBinding !== undefined);
  const pads = rule.pattern.attrs[0]!.value;
  assert.ok(pads.kind === "List" && pads.items.length === 1 && pads.names?.[0]?.name === "p");
  const result = rule.result;
  const axis = result.kind === "ResultOp" ? result.operands[1] : undefined;
  assert.ok(axis?.kind === "Along" && axis.axisLiteral?.value === 1.5);
  const calls = parse(`rule C: Relu(x) where onnx.Relu(x) && max(x, 1) { k: 1 } > 0 => x`);
  assert.equal(calls.diagnostics, []);
  const where = calls.file.rules[0]!.where!;
  assert.ok(where.kind === "Binary" && where.left.kind === "Call" && where.left.qualifiedOp?.dialect === "onnx" && where.left.qualifiedOp.name === "Relu");
  assert.ok(where.kind === "Binary" && where.right.kind === "Binary" && where.right.left.kind === "Call" && where.right.left.attrSet !== undefined);
});

test("inf and ∞ are infinite number literals; names that start with inf stay names", () => {
  const { file, diagnostics } = parse(`rule R: Clip(info, -inf, ∞) where info2 == inf => info`);
  assert.equal(diagnostics, []);
  const [x, lo, hi] = file.rules[0]!.pattern.operands;
  assert.ok(x!.kind === "VarPattern" && x.name.name === "info");
  assert.ok(lo!.kind === "LiteralPattern" && lo.value === -Infinity);
  assert.ok(hi!.kind === "LiteralPattern" && hi.value === Infinity);
  const where = file.rules[0]!.where!;
  assert.ok(where.kind === "Binary" && where.right.kind === "Number" && where.right.value === Infinity);
});

test.run();
