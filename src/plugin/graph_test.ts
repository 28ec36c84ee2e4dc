import assert from "node:assert/strict";
import { importSpecifiers } from "./graph.ts";

Deno.test("importSpecifiers: static, re-export, side-effect and literal dynamic imports", () => {
  const source = [
    'import a from "./a.ts";',
    "import { b } from './b.ts';",
    'import * as c from\n  "../c.ts";',
    'import "./side.ts";',
    'export * from /* a comment */ "./d.ts";',
    'export { e } from // a line comment\n  "./e.ts";',
    'import data from "./data.json" with { type: "json" };',
    'const f = await import( /* x */ "./f.ts");',
    "const g = await import(`./g.ts`);",
    "const h = await import(`./${name}.ts`); // computed: checked by Deno at run time",
    "const url = import.meta.url; Array.from('xyz');",
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "./a.ts",
    "./b.ts",
    "../c.ts",
    "./side.ts",
    "./d.ts",
    "./e.ts",
    "./data.json",
    "./f.ts",
    "./g.ts",
  ]);
});

Deno.test("importSpecifiers: import-like text in comments and strings is listed (conservative)", () => {
  const source = '// import x from "../secret.ts"\nconst s = "//"; import y from "../y.ts";\n';
  assert.deepEqual(importSpecifiers(source), ["../secret.ts", "../y.ts"]);
});
