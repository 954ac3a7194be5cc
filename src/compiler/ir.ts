/**
 * The match-program IR that lowering builds and codegen prints: TypeScript expressions (`Code`)
 * and the statements of a rule's block (`Step`), with small constructors.
 */

/** A TypeScript expression, printed by codegen. */
export type Code =
  | { kind: "ref"; name: string }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "undefined" }
  | { kind: "call"; callee: string; args: Code[] }
  /** `target.name(args)`: a method of a computed value (`shape.every(…)`). */
  | { kind: "method"; target: Code; name: string; args: Code[] }
  /** `(params) => body` */
  | { kind: "arrow"; params: string[]; body: Code }
  | { kind: "array"; items: Code[] }
  | { kind: "binary"; op: string; left: Code; right: Code }
  | { kind: "unary"; op: "!" | "-"; operand: Code }
  | { kind: "index"; target: Code; index: Code }
  | { kind: "member"; target: Code; name: string }
  | { kind: "object"; spreads: Code[]; props: { name: string; value: Code }[] };

export type Step =
  /** `const name = init;` (a destructuring `const [name] = init;` when `first`). */
  | { kind: "const"; name: string; init: Code; first?: boolean }
  /** `if (failWhen) { rw.fail(reason); <next candidate> }` */
  | { kind: "check"; failWhen: Code; reason: string }
  /** Tries `body` with `names` bound to `operands` in both orders (a commutative op). */
  | { kind: "orders"; names: [string, string]; operands: [string, string]; body: Step[] }
  /** `return rw.replace(root, values);` */
  | { kind: "replace"; values: Code[] };

export const ref = (name: string): Code => ({ kind: "ref", name });
export const num = (value: number): Code => ({ kind: "number", value });
export const str = (value: string): Code => ({ kind: "string", value });
export const bool = (value: boolean): Code => ({ kind: "bool", value });
export const undef: Code = { kind: "undefined" };
export const call = (callee: string, ...args: Code[]): Code => ({ kind: "call", callee, args });
export const method = (target: Code, name: string, ...args: Code[]): Code => ({ kind: "method", target, name, args });
export const binary = (op: string, left: Code, right: Code): Code => ({ kind: "binary", op, left, right });
export const not = (operand: Code): Code => ({ kind: "unary", op: "!", operand });
export const array = (items: Code[]): Code => ({ kind: "array", items });

/** Calls `visit` on a code and each code inside it, outermost first. */
export function forEachCode(code: Code, visit: (code: Code) => void): void {
  visit(code);
  switch (code.kind) {
    case "call":
      return code.args.forEach((a) => forEachCode(a, visit));
    case "method":
      forEachCode(code.target, visit);
      return code.args.forEach((a) => forEachCode(a, visit));
    case "arrow":
      return forEachCode(code.body, visit);
    case "array":
      return code.items.forEach((a) => forEachCode(a, visit));
    case "binary":
      forEachCode(code.left, visit);
      return forEachCode(code.right, visit);
    case "unary":
      return forEachCode(code.operand, visit);
    case "index":
      forEachCode(code.target, visit);
      return forEachCode(code.index, visit);
    case "member":
      return forEachCode(code.target, visit);
    case "object":
      code.spreads.forEach((c) => forEachCode(c, visit));
      return code.props.forEach((p) => forEachCode(p.value, visit));
    default:
      return;
  }
}
