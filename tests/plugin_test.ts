/**
 * The plugin module contract (docs/contract.md §2.3): a default-exported class with `run(frames)`,
 * loaded by path; modules that do not conform are rejected at load time with a clear message
 * naming what is missing.
 */
import assert from "node:assert/strict";
import { algoClassOf } from "../src/plugin/load.ts";
import { FFmpegProducer, Inference, InputError, loadPlugin, Player, PluginError } from "../mod.ts";
import {
  assertNoFfmpeg,
  FIXTURES,
  makeColorClip,
  ROOT,
  withTempDir,
  writeText,
} from "./helpers.ts";

/** Asserts that `promise` rejects with a one-line PluginError (exit code 2) matching all `patterns`. */
async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof PluginError, `expected a PluginError, got ${error}`);
  assert.ok(error instanceof InputError);
  assert.equal(error.exitCode, 2);
  assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
  for (const p of patterns) assert.match(error.message, p);
  return error.message;
}

Deno.test("plugin: a self-contained class loads by path, gets init options and frames", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeColorClip(`${dir}/c.mp4`, [10, 20, 30], { seconds: 1 });
    const inference = new Inference(undefined, { pluginBase: FIXTURES });
    await inference.loadAlgo("./frame_info.ts", {
      frameCount: 2,
      frameStep: 5,
      interval: 0.4,
      options: { threshold: 3 },
    });
    await inference.loadAlgo(`${FIXTURES}/extends_base.ts`, {
      frameCount: 1,
      frameStep: 0,
      interval: 0.2,
      name: "mean",
      options: { scale: 2 },
    });
    assert.deepEqual(
      inference.listAlgos().map(({ name, frameCount, frameStep, interval }) => ({
        name,
        frameCount,
        frameStep,
        interval,
      })),
      [
        { name: "FrameInfo", frameCount: 2, frameStep: 5, interval: 0.4 },
        { name: "mean", frameCount: 1, frameStep: 0, interval: 0.2 },
      ],
    );
    const player = new Player(
      new FFmpegProducer({ width: 32, height: 24, format: "rgb24" }),
      clip,
      {},
    );
    await inference.start(player, {});
    await inference.dispose();
    const info = inference.dispatcher.getResults("FrameInfo");
    assert.deepEqual(info.map((r) => r.frame), [9, 19]);
    assert.deepEqual(info[0].result, {
      indices: [4, 9],
      first: [10, 10],
      size: [32, 24, "rgb24", 32 * 24 * 3],
      options: { threshold: 3 },
      inits: 1,
    });
    const mean = inference.dispatcher.getResults("mean");
    assert.deepEqual(mean.map((r) => r.frame), [4, 9, 14, 19, 24]);
    assert.deepEqual(mean.map((r) => r.result), Array(5).fill(40)); // mean of 10,20,30 = 20, x2
    await assertNoFfmpeg(dir);
  });
});

Deno.test("plugin: relative paths resolve against pluginBase, else the working directory", async () => {
  const a = await loadPlugin("tests/fixtures/frame_info.ts", ROOT);
  const b = await loadPlugin("./frame_info.ts", FIXTURES);
  const c = await loadPlugin(`${FIXTURES}/frame_info.ts`);
  assert.equal(a, b);
  assert.equal(b, c);
  assert.equal(typeof new a().run, "function");
});

Deno.test("plugin: a class with no run(frames) is rejected, naming run", async () => {
  const message = await rejectsWith(loadPlugin("./no_run.ts", FIXTURES), /\brun\b/);
  assert.match(message, /no_run\.ts/);
  await rejectsWith(
    new Inference(undefined, { pluginBase: FIXTURES }).loadAlgo("no_run.ts", {
      frameCount: 1,
      frameStep: 0,
      interval: 1,
    }),
    /\brun\b/,
    /no_run\.ts/,
  );
});

Deno.test("plugin: a module with no default export is rejected, naming the default export", async () => {
  await rejectsWith(loadPlugin("./no_default.ts", FIXTURES), /default export/, /no_default\.ts/);
});

Deno.test("plugin: a default export that is not a class is rejected, saying so", async () => {
  await rejectsWith(loadPlugin("./not_class.ts", FIXTURES), /class/, /not_class\.ts/);
  await rejectsWith(loadPlugin("./arrow_default.ts", FIXTURES), /class/, /arrow_default\.ts/);
});

Deno.test("plugin: a missing file, a syntax error, a throwing module or init are plugin errors", async () => {
  await withTempDir(async (dir) => {
    await rejectsWith(loadPlugin("./does_not_exist.ts", FIXTURES), /does_not_exist\.ts/);
    await writeText(`${dir}/syntax.ts`, "export default class {\n  run( {\n}\n");
    await rejectsWith(loadPlugin(`${dir}/syntax.ts`), /syntax\.ts/);
    await writeText(`${dir}/throws.ts`, 'throw new Error("boom at load");\nexport default 1;\n');
    await rejectsWith(loadPlugin(`${dir}/throws.ts`), /throws\.ts/, /boom at load/);
    await rejectsWith(
      new Inference().loadAlgo(`${FIXTURES}/bad_init.ts`, {
        frameCount: 1,
        frameStep: 0,
        interval: 1,
      }),
      /init/,
      /model file missing/,
    );
  });
});

Deno.test("plugin: algoClassOf checks a module object against the contract", () => {
  class Good {
    run() {
      return 1;
    }
  }
  assert.equal(algoClassOf({ default: Good }, "m"), Good);
  assert.throws(() => algoClassOf({}, "m"), (e: Error) => /default export/.test(e.message));
  assert.throws(
    () => algoClassOf({ Good }, "m"),
    (e: Error) =>
      e instanceof PluginError && /default export/.test(e.message) && /Good/.test(e.message),
  );
  assert.throws(() => algoClassOf({ default: 42 }, "m"), (e: Error) => /class/.test(e.message));
  assert.throws(() => algoClassOf({ default: null }, "m"), (e: Error) => /class/.test(e.message));
  assert.throws(() => algoClassOf({ default: class {} }, "m"), (e: Error) => /run/.test(e.message));
  // a prototype member named like an optional method must be a method
  const proto = class {
    run() {}
  };
  Object.defineProperty(proto.prototype, "dispose", { value: "nope" });
  assert.throws(
    () => algoClassOf({ default: proto }, "m"),
    (e: Error) => /dispose/.test(e.message),
  );
});
