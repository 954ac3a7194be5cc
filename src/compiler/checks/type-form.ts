/** Only `enum(…)` takes parameters, and an enum is not a list element type (`enum(…)[]`). */
import { error, type Diagnostic } from "../diagnostics.js";
import type { Program } from "../program.js";

export function checkTypeForm(program: Program): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const file of program.files) {
    for (const attr of file.dialects.flatMap((d) => d.ops.flatMap((op) => op.attrs))) {
      const form = attr.typeForm;
      if (!form) continue;
      const message = form.form === "enum-list" ? "a list of enums is not an attribute type" : `'${form.text}' takes no parameters (only enum(…) does)`;
      diagnostics.push(error("type-form", message, form.span));
    }
  }
  return diagnostics;
}
