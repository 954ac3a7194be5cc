/**
 * Types of `.rules` modules compiled by fusec's bundler plugin (`fusec/plugin`). Reference them
 * with `/// <reference types="fusec/rules" />` (or list "fusec/rules" in `compilerOptions.types`).
 */
declare module "*.rules" {
  import type { Pass, RuleInfo } from "fusec/runtime";
  /** The compiled pass: give it to `optimize(graph, { passes: pass })`. */
  export const pass: Pass;
  /** The pass's rules, in the order `rw.begin(i)` numbers them. */
  export const rules: readonly RuleInfo[];
}
