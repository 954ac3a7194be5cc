/**
 * Runs every semantic check over a resolved program. Each check lives in its own file and states
 * its invariant in its opening comment; adding a check is adding a file and a line here.
 */
import type { Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";
import { checkAmbiguousOp } from "./ambiguous-op.js";
import { checkArity } from "./arity.js";
import { checkAlongAxis } from "./along-axis.js";
import { checkAttrPattern } from "./attr-pattern.js";
import { checkAttrType } from "./attr-type.js";
import { checkBadSpread } from "./bad-spread.js";
import { checkBindingModifier } from "./binding-modifier.js";
import { checkBuiltinCall } from "./builtin-call.js";
import { checkCallForm } from "./call-form.js";
import { checkCoalesce } from "./coalesce.js";
import { checkCoalescePrecedence } from "./coalesce-precedence.js";
import { checkDuplicateAttr } from "./duplicate-attr.js";
import { checkDuplicateBinding } from "./duplicate-binding.js";
import { checkConditionType } from "./condition-type.js";
import { checkDuplicateOp } from "./duplicate-op.js";
import { checkDuplicateRule } from "./duplicate-rule.js";
import { checkDuplicateRuleName } from "./duplicate-rule-name.js";
import { checkExternPred } from "./extern-pred.js";
import { checkMissingAttr } from "./missing-attr.js";
import { checkMissingImpl } from "./missing-impl.js";
import { checkNonConst } from "./non-const.js";
import { checkOpDecl } from "./op-decl.js";
import { checkOperandRole } from "./operand-role.js";
import { checkOperandType } from "./operand-type.js";
import { checkNotOptional } from "./not-optional.js";
import { checkOverlap } from "./overlap.js";
import { checkPatternRoot } from "./pattern-root.js";
import { checkPriority } from "./priority.js";
import { checkShadowed } from "./shadowed.js";
import { checkShadowedAcrossRoots } from "./shadowed-across-roots.js";
import { checkTypeForm } from "./type-form.js";
import { checkUnboundVar } from "./unbound-var.js";
import { checkUnknownAttr } from "./unknown-attr.js";
import { checkUnknownDialect } from "./unknown-dialect.js";
import { checkUnknownFunction } from "./unknown-function.js";
import { checkUnknownOp } from "./unknown-op.js";
import { checkUnknownType } from "./unknown-type.js";
import { checkUnusedBinding } from "./unused-binding.js";
import { checkVariadicResult } from "./variadic-result.js";
import { checkWildcardModifier } from "./wildcard-modifier.js";

/** A semantic check: reads the program, returns what it found wrong. */
export type Check = (program: Program) => Diagnostic[];

/** Declarations first, then name resolution, then types, then rule-against-rule relations. */
const checks: Check[] = [
  checkUnknownType,
  checkPatternRoot,
  checkPriority,
  checkWildcardModifier,
  checkTypeForm,
  checkBindingModifier,
  checkAttrPattern,
  checkAlongAxis,
  checkCallForm,
  checkDuplicateOp,
  checkOpDecl,
  checkOperandRole,
  checkUnknownDialect,
  checkUnknownOp,
  checkAmbiguousOp,
  checkArity,
  checkNotOptional,
  checkVariadicResult,
  checkUnknownAttr,
  checkDuplicateAttr,
  checkAttrType,
  checkMissingAttr,
  checkBadSpread,
  checkDuplicateBinding,
  checkUnboundVar,
  checkUnusedBinding,
  checkNonConst,
  checkCoalesce,
  checkCoalescePrecedence,
  checkUnknownFunction,
  checkBuiltinCall,
  checkOperandType,
  checkExternPred,
  checkMissingImpl,
  checkConditionType,
  checkDuplicateRuleName,
  checkDuplicateRule,
  checkShadowed,
  checkOverlap,
  checkShadowedAcrossRoots,
];

export function runChecks(program: Program): Diagnostic[] {
  return checks.flatMap((check) => check(program));
}
