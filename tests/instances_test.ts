/**
 * `instances`: a worker plugin loaded several times side by side. Offline, run k goes to
 * instance k mod N and records stay in frame order; realtime, ticks go to idle instances, so
 * runs overlap; every instance's `init` learns its context; bad values and a failing
 * instance's init are clear errors with every worker ended.
 *
 * Run with --unstable-worker-options (as `deno task test` does). No timing thresholds.
 */
import assert from "node:assert/strict";
import MotionDetector from "../plugins/motion.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import { InputError, PluginError } from "../src/errors.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import type { InstanceRun } from "./fixtures/inf_instance.ts";
import { assertNoFfmpeg, makeTestsrc, ROOT, withTempDir } from "./helpers.ts";
import { within } from "./live_helpers.ts";

const PLUGIN = "tests/fixtures/inf_instance.ts";
const schedule = { frameCount: 1, frameStep: 0, interval: 0.1 };

function player(source: string): Player {
  return new Player(new FFmpegProducer({ width: 64, height: 48 }), source);
}

function runsOf(inference: Inference, name: string): InstanceRun[] {
  return inference.dispatcher.getResults(name).map((r) => {
    assert.equal(r.error, undefined, `${name}@${r.frame}: ${r.error}`);
    return r.result as InstanceRun;
  });
}

Deno.test("offline: runs take turns over the instances and stay in frame order", async () => {
  await withTempDir(async (dir) => {
    // 2 s played at 10 fps, interval 0.1: a run on each of 20 frames
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const inference = new Inference(new Dispatcher(), { pluginBase: ROOT, lookahead: 6 });
    try {
      await inference.loadAlgo(PLUGIN, { ...schedule, name: "three", instances: 3 });
      await inference.loadAlgo(PLUGIN, { ...schedule, name: "one" });
      assert.deepEqual(inference.listAlgos().map((a) => a.instances), [3, undefined]);
      const summary = await within(
        60_000,
        "offline run",
        inference.start(player(clip), { fps: 10, mode: "offline" }),
      );
      assert.deepEqual(summary.algos, {
        three: { runs: 20, errors: 0, skipped: 0 },
        one: { runs: 20, errors: 0, skipped: 0 },
      });
      const three = runsOf(inference, "three");
      assert.deepEqual(three.map((r) => r.frame), Array.from({ length: 20 }, (_, i) => i));
      assert.deepEqual(three.map((r) => r.instance), three.map((_, k) => k % 3));
      assert.ok(three.every((r) => r.instances === 3));
      const one = runsOf(inference, "one");
      assert.ok(one.every((r) => r.instance === 0 && r.instances === 1));
      const m = inference.metrics().algos.three;
      assert.equal(m.runs, 20);
      assert.equal(m.restarts, 0);
      assert.equal(m.disabled, false);
    } finally {
      await inference.dispose();
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("realtime: busy ticks go to an idle instance, so runs of two instances overlap", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 3 });
    const inference = new Inference(new Dispatcher(), { pluginBase: ROOT });
    try {
      // 150 ms runs every 100 ms: one instance alone would skip every other tick
      await inference.loadAlgo(PLUGIN, {
        ...schedule,
        name: "two",
        instances: 2,
        options: { ms: 150 },
      });
      await within(60_000, "realtime run", inference.start(player(clip), { mode: "realtime" }));
      const runs = runsOf(inference, "two");
      const a = runs.filter((r) => r.instance === 0);
      const b = runs.filter((r) => r.instance === 1);
      assert.ok(a.length > 0 && b.length > 0, `runs per instance: ${a.length}, ${b.length}`);
      assert.ok(
        a.some((x) => b.some((y) => x.start < y.end && y.start < x.end)),
        "no run of instance 0 overlapped a run of instance 1",
      );
      for (const r of [a, b]) {
        for (let i = 1; i < r.length; i++) {
          assert.ok(r[i].start >= r[i - 1].end, "an instance ran two runs at once");
        }
      }
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("instances: bad values and non-worker algorithms are refused", async () => {
  const inference = new Inference(new Dispatcher(), { pluginBase: ROOT });
  try {
    for (const instances of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        inference.loadAlgo(PLUGIN, { ...schedule, instances }),
        (e: Error) =>
          e instanceof InputError && /instances must be an integer >= 1/.test(e.message),
        `instances: ${instances}`,
      );
    }
    await assert.rejects(
      inference.loadAlgo(new MotionDetector(), { ...schedule, instances: 2 }),
      (e: Error) => e instanceof InputError && /needs a plugin run in workers/.test(e.message),
    );
    await assert.rejects(
      inference.loadAlgo(PLUGIN, { ...schedule, instances: 2, worker: false }),
      (e: Error) => e instanceof InputError && /needs a plugin run in workers/.test(e.message),
    );
    assert.deepEqual(inference.listAlgos(), []);
  } finally {
    await inference.dispose();
  }
});

Deno.test("instances: one instance's failing init fails the load and ends every worker", async () => {
  const inference = new Inference(new Dispatcher(), { pluginBase: ROOT });
  try {
    await assert.rejects(
      inference.loadAlgo(PLUGIN, { ...schedule, instances: 3, options: { failInstance: 1 } }),
      (e: Error) => e instanceof PluginError && /instance 1 refuses to start/.test(e.message),
    );
    assert.deepEqual(inference.listAlgos(), []);
  } finally {
    await inference.dispose();
  }
});
