/**
 * Built-in plugins by name: `plugin: motion` and `plugin: yolo` resolve to the package's own
 * modules (from this module graph's URLs, not from the working directory), and a built-in
 * plugin's declared permissions are granted (printed once) with no `permissions` key.
 */
import assert from "node:assert/strict";
import {
  type AlgoEvent,
  BUILTIN_PLUGINS,
  builtinPermissions,
  fetchPlugin,
  Inference,
  parseConfig,
} from "../mod.ts";
import { checkPluginGraph } from "../src/plugin/graph.ts";
import { resolvePlugin } from "../src/plugin/integrity.ts";
import { CAR_CLIP, runCli, withTempDir, writeText } from "./helpers.ts";

const CLIP = CAR_CLIP;
const MODEL = Deno.env.get("STREAM_INFER_TEST_MODEL");

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

Deno.test("builtin: the names resolve to the package's own plugin modules", async () => {
  assert.deepEqual([...BUILTIN_PLUGINS], ["yolo", "motion"]);
  assert.equal(
    resolvePlugin("motion", "/elsewhere").href,
    new URL("../plugins/motion.ts", import.meta.url).href,
  );
  assert.equal(resolvePlugin("yolo").href, new URL("../plugins/yolo/mod.ts", import.meta.url).href);
  // a name is not a path: './yolo' is still a file next to the config
  assert.equal(resolvePlugin("./yolo", "/srv").href, "file:///srv/yolo");
  const config = parseConfig("algos:\n  - plugin: yolo\n  - plugin: ./motion\n", "/srv/p.yaml");
  assert.deepEqual(config.algos.map((a) => a.plugin), ["yolo", "/srv/motion"]);
  const motion = await fetchPlugin("motion");
  assert.equal(motion.builtin, true);
  assert.equal(motion.url, new URL("../plugins/motion.ts", import.meta.url).href);
  assert.equal(await checkPluginGraph(motion), motion);
  assert.deepEqual(await builtinPermissions("motion", {}), {});
  assert.deepEqual(await builtinPermissions("yolo", { model: "/m/yolo.onnx" }), {
    ffi: true,
    read: ["/m/yolo.onnx"],
  });
  assert.equal(await builtinPermissions("./plugins/motion.ts", {}), undefined);
});

Deno.test("builtin: plugin: motion runs from a config in another folder", async () => {
  await withTempDir(async (dir) => {
    const file = await writeText(
      `${dir}/p.yaml`,
      `source: ${CLIP}\nfps: 2\nposition: 26\nalgos:\n  - plugin: motion\n    options: { width: 96 }\n`,
    );
    const out = await cli(["run", file, "--quiet"], dir);
    assert.equal(out.code, 0, out.stderr);
    const records = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(records.length >= 3, out.stdout);
    assert.ok(records.every((r) => r.algo === "MotionDetector" && Array.isArray(r.result.boxes)));
  });
});

Deno.test({
  name: "builtin: plugin: yolo runs with the real model and no permissions key",
  ignore: MODEL === undefined,
  async fn() {
    await withTempDir(async (dir) => {
      const file = await writeText(
        `${dir}/p.yaml`,
        `source: ${CLIP}\nalgos:\n  - plugin: yolo\n    name: det\n    interval: 6\n` +
          `    options: { model: "\${STREAM_INFER_TEST_MODEL}", confidence: 0.35 }\n`,
      );
      const out = await cli(["run", file], dir);
      assert.equal(out.code, 0, out.stderr);
      const granted = out.stderr.split("\n").filter((l) => l.includes("granted"));
      assert.deepEqual(granted, [`stream-infer: det: granted ffi, read ${MODEL}`]);
      const records = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(records.length, 5);
      const names = records.flatMap((r) => r.result.map((d: { name: string }) => d.name));
      assert.ok(names.includes("car"), `a car is found: ${names}`);
    });
  },
});

if (MODEL === undefined) {
  console.warn("builtin_plugin_test: STREAM_INFER_TEST_MODEL is not set: the YOLO test is skipped");
}

Deno.test({
  name: "builtin: Inference.loadAlgo('yolo') from code grants the declared permissions",
  ignore: MODEL === undefined,
  async fn() {
    const inference = new Inference(undefined, { log: false });
    const events: AlgoEvent[] = [];
    inference.observe({ onAlgo: (e) => void events.push(e) });
    try {
      await inference.loadAlgo("yolo", {
        name: "det",
        frameCount: 1,
        frameStep: 1,
        interval: 1,
        options: { model: MODEL },
      });
      assert.deepEqual(events.map((e) => [e.type, e.message]), [
        ["granted", `det: granted ffi, read ${MODEL}`],
      ]);
    } finally {
      await inference.dispose();
    }
  },
});
