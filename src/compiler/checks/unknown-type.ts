/** Every attribute type and extern predicate parameter type names a type of the language. */
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";
import { attrTypeList, attrTypeUnknown, paramTypeList, paramTypeUnknown } from "../type-names.js";

export function checkUnknownType(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const attr of file.dialects.flatMap((d) => d.ops.flatMap((op) => op.attrs))) {
      if (attr.typeName && attrTypeUnknown(attr)) {
        diagnostics.push(error("unknown-type", `unknown attribute type '${attr.typeName.text}': expected ${attrTypeList}`, attr.typeName.span));
      }
    }
    for (const param of file.externs.flatMap((e) => e.params)) {
      if (param.typeName && paramTypeUnknown(param)) {
        diagnostics.push(error("unknown-type", `unknown parameter type '${param.typeName.text}': expected ${paramTypeList}`, param.typeName.span));
      }
    }
  }
  return diagnostics;
}
