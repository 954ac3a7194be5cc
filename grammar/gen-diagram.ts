/**
 * Writes grammar/diagram.html: Chevrotain's railroad diagram of the rules grammar.
 * Run with `npx tsx grammar/gen-diagram.ts` after changing grammar/parser.ts.
 */
import { writeFileSync } from "node:fs";
import { createSyntaxDiagramsCode } from "chevrotain";
import { serializedGrammar } from "./parser.js";

const target = new URL("./diagram.html", import.meta.url);
writeFileSync(target, createSyntaxDiagramsCode(serializedGrammar()));
console.log(`wrote ${target.pathname}`);
