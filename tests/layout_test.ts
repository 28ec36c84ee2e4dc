/**
 * The layout rules of docs/architecture.md, checked on the source text: no import circles in
 * src/, no module over 450 lines, plugins import only the public API, and every folder imports
 * only what the architecture's table allows.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

function modules(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...modules(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) found.push(path);
  }
  return found.sort();
}

/** The relative modules a module imports (static `import`/`export ... from`, types included). */
function importsOf(path: string): string[] {
  const text = Deno.readTextFileSync(`${ROOT}${path}`)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const dir = path.slice(0, path.lastIndexOf("/"));
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"/gm)) {
    out.push(new URL(m[1], `file:///${dir}/`).pathname.slice(1));
  }
  return out;
}

const SRC = modules("src");

Deno.test("layout: no import circles among the modules of src/", () => {
  const graph = new Map(SRC.map((m) => [m, importsOf(m)]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const circles: string[] = [];
  const visit = (m: string) => {
    state.set(m, "open");
    stack.push(m);
    for (const next of graph.get(m) ?? []) {
      if (state.get(next) === "open") {
        circles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, "done");
  };
  for (const m of SRC) if (!state.has(m)) visit(m);
  assert.deepEqual(circles, []);
});

Deno.test("layout: no module of src/ or plugins/ over 450 lines", () => {
  const long = [...SRC, ...modules("plugins")]
    .map((m) => [m, Deno.readTextFileSync(`${ROOT}${m}`).split("\n").length] as const)
    .filter(([, lines]) => lines > 450);
  assert.deepEqual(long, []);
});

Deno.test("layout: plugins import only the public API", () => {
  const bad = modules("plugins").flatMap((m) =>
    importsOf(m)
      .filter((target) => target.startsWith("src/"))
      .map((target) => `${m} imports ${target}`)
  );
  assert.deepEqual(bad, []);
});

Deno.test("layout: folders of src/ import only downwards (docs/architecture.md)", () => {
  const vocabulary = [
    "src/frame.ts",
    "src/frame_convert.ts",
    "src/errors.ts",
    "src/record.ts",
    "src/frame_pool.ts",
  ];
  const allowed: Record<string, string[]> = {
    cli: [
      "dev",
      "config",
      "video",
      "run",
      "control",
      "observe",
      "sinks",
      "source",
      "plugin",
      "algo",
    ],
    dev: ["config", "control", "observe", "draw", "analytics", "source"],
    config: [
      "run",
      "control",
      "observe",
      "sinks",
      "video",
      "analytics",
      "track",
      "source",
      "plugin",
      "algo",
    ],
    control: ["observe", "source"],
    run: [
      "schedule",
      "source",
      "worker",
      "plugin",
      "algo",
      "observe",
      "sinks",
      "track",
      "analytics",
    ],
    worker: ["plugin", "algo"],
    plugin: ["algo"],
    schedule: ["algo"],
    observe: ["source"],
    sinks: [],
    draw: [],
    video: ["draw", "observe", "source"],
    track: [],
    analytics: [],
    source: [],
    algo: [],
  };
  const folderOf = (m: string) => m.split("/")[1];
  const bad: string[] = [];
  for (const m of SRC) {
    const from = folderOf(m);
    for (const target of importsOf(m)) {
      const to = folderOf(target);
      if (vocabulary.includes(target) || to === from || !target.startsWith("src/")) continue;
      if (vocabulary.includes(m)) {
        bad.push(`${m} (shared vocabulary) imports ${target}`);
      } else if (!(allowed[from] ?? []).includes(to)) bad.push(`${m} imports ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});
