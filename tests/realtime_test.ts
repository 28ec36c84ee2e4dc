/**
 * Realtime mode on a file (docs/contract.md §3.4, §4.2): the player is paced to the clip's fps and never
 * waits for inference; a busy algorithm's ticks are skipped, not queued; the frame track is a
 * bounded ring sized to the schedules; the process hook sees every played frame; stop() ends a
 * run promptly with complete sink output and no ffmpeg left.
 *
 * Timing is only asserted where it is correctness: a paced run cannot finish much sooner than
 * the clip lasts. Upper bounds are bounded waits (the test fails instead of hanging).
 */
import assert from "node:assert/strict";
import { BaseAlgo } from "../src/algo/algo.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import type { Frame } from "../src/frame.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { type AlgoRecord, recordLine } from "../src/record.ts";
import { JsonlSink } from "../src/sinks/jsonl.ts";
import { makeTestsrc, withTempDir } from "./helpers.ts";
import { assertNoFfmpegLeft, readRecords, within } from "./live_helpers.ts";

const FPS = 25;

function player(source: string): Player {
  return new Player(new FFmpegProducer(), source);
}

/** Fast: reports which frames it got. */
class Indices extends BaseAlgo<unknown, { indices: number[]; times: number[] }> {
  override readonly name = "indices";
  run(frames: Frame[]) {
    return { indices: frames.map((f) => f.index), times: frames.map((f) => f.time) };
  }
}

/** Slow and asynchronous: each run awaits a timer; tracks how many runs overlap. */
class Sleepy {
  readonly name = "sleepy";
  active = 0;
  maxActive = 0;
  constructor(readonly ms: number) {}
  async run(frames: Frame[]): Promise<number> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.ms));
      return frames[0].index;
    } finally {
      this.active--;
    }
  }
}

Deno.test("realtime: a file is paced to its fps; results, metrics, process hook, bounded ring", async () => {
  await withTempDir(async (dir) => {
    const seconds = 3;
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds, fps: FPS });
    const seen: number[] = [];
    const reported: AlgoRecord[] = [];
    const capacities = new Set<number>();
    const inference = new Inference(new Dispatcher(), {
      process: ({ frame, ran }) => {
        seen.push(frame.index);
        capacities.add(inference.metrics().sources[frame.source].ring);
        for (const record of ran) {
          assert.ok(
            record.frame <= frame.index,
            `record of frame ${record.frame} reported at frame ${frame.index}`,
          );
          reported.push(record);
        }
      },
    });
    // spans: (3 - 1) * 2 + 1 = 5 and 1: the ring holds 5 frames
    await inference.loadAlgo(new Indices(), { frameCount: 3, frameStep: 2, interval: 0.1 });
    await inference.loadAlgo(new Sleepy(20), { frameCount: 1, frameStep: 0, interval: 0.25 });
    const p = player(clip);
    const began = performance.now();
    const summary = await within(30_000, "realtime run", inference.start(p, { mode: "realtime" }));
    const wall = (performance.now() - began) / 1000;
    try {
      // paced: 75 frames at 25 fps cannot be played in much less than the clip's length
      assert.ok(wall >= 0.8 * seconds, `a ${seconds} s clip played in ${wall.toFixed(2)} s`);
      assert.equal(summary.stopped, false);
      assert.equal(summary.fps, FPS);

      // results arrive, with the frames their schedule asks for
      const results = inference.dispatcher.getResults("indices");
      assert.ok(results.length > 0, "no results in realtime");
      for (const r of results) {
        assert.equal(r.error, undefined);
        const { indices, times } = r.result as { indices: number[]; times: number[] };
        assert.deepEqual(indices, [r.frame - 4, r.frame - 2, r.frame]);
        assert.equal(times.at(-1), r.time);
        assert.equal(r.position, Math.floor(r.time));
      }
      assert.ok(inference.dispatcher.getResults("sleepy").length > 0);

      // metrics
      const metrics = inference.metrics();
      for (const name of ["indices", "sleepy"]) {
        const m = metrics.algos[name];
        assert.ok(m, `no metrics for ${name}`);
        assert.equal(m.runs, inference.dispatcher.getResults(name).length);
        assert.equal(m.errors, 0);
        assert.notEqual(m.runMs.p50, null, `${name}: run time p50`);
        assert.notEqual(m.lagMs.p50, null, `${name}: lag p50`);
        // lag runs from the frame's arrival, run time from the run's start
        assert.ok(m.lagMs.p50! >= m.runMs.p50!, `${name}: lag p50 below run p50`);
      }
      assert.ok(metrics.algos.sleepy.runMs.p50! >= 19, "sleepy runs await 20 ms");
      assert.ok(metrics.player.framesRead > 0);
      assert.equal(metrics.player.framesRead, p.framesPlayed + metrics.player.framesDropped);
      assert.equal(metrics.player.reconnects, 0);
      assert.equal(metrics.player.stalls, 0);

      // the process hook saw every played frame, in order
      assert.equal(seen.length, summary.frames);
      assert.equal(seen.length, p.framesPlayed);
      assert.ok(seen.length > 0);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], "indices increase");
      assert.ok(seen.at(-1)! < seconds * FPS);

      // ... with the records as they completed: every record, in order, except at most the
      // one per algorithm still in flight when the last frame went by
      for (const name of ["indices", "sleepy"]) {
        const all = inference.dispatcher.getResults(name);
        const mine = reported.filter((r) => r.algo === name);
        assert.deepEqual(mine, all.slice(0, mine.length));
        assert.ok(all.length - mine.length <= 1, `${name}: ${all.length - mine.length} unreported`);
      }

      // the frame track is a ring of the computed span, and it never grew
      assert.deepEqual([...capacities], [5]);
      assert.equal(inference.metrics().sources.main.ring, 5);
      await assertNoFfmpegLeft(dir, 0);
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("realtime: a slow algorithm is skipped, not queued, and does not hold the player", async () => {
  await withTempDir(async (dir) => {
    const seconds = 3;
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds, fps: FPS });
    const sleepy = new Sleepy(300);
    let hooked = 0;
    const inference = new Inference(new Dispatcher(), { process: () => void hooked++ });
    await inference.loadAlgo(sleepy, { frameCount: 1, frameStep: 0, interval: 0.1 });
    const p = player(clip);
    const began = performance.now();
    const summary = await within(30_000, "realtime run", inference.start(p, { mode: "realtime" }));
    const wall = (performance.now() - began) / 1000;
    try {
      assert.ok(wall >= 0.8 * seconds, `a ${seconds} s clip played in ${wall.toFixed(2)} s`);
      const m = inference.metrics().algos.sleepy;
      assert.ok(m.runs >= 1, "the slow algorithm never ran");
      assert.ok(m.skipped > 0, "busy ticks were not skipped");
      assert.ok(m.runs <= wall / 0.3 + 1, `${m.runs} runs of 300 ms in ${wall.toFixed(2)} s`);
      assert.equal(sleepy.maxActive, 1, "runs of one algorithm overlapped (queued)");
      assert.ok(m.runMs.p50! >= 299, `run p50 ${m.runMs.p50} ms, runs await 300 ms`);
      assert.equal(summary.algos.sleepy.runs, m.runs);
      // every run's record was collected (the last one within the stop grace)
      assert.equal(inference.dispatcher.getResults("sleepy").length, m.runs);
      // the player kept playing while the algorithm was busy
      assert.equal(hooked, p.framesPlayed);
      assert.ok(p.framesPlayed > m.runs);
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("realtime: a start position seeks and pacing starts there", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 3, fps: FPS });
    const times: number[] = [];
    const inference = new Inference(new Dispatcher(), {
      process: ({ frame }) => void times.push(frame.time),
    });
    await inference.loadAlgo(new Indices(), { frameCount: 1, frameStep: 0, interval: 0.2 });
    const p = player(clip);
    const began = performance.now();
    await within(30_000, "realtime run", inference.start(p, { mode: "realtime", position: 1 }));
    const wall = (performance.now() - began) / 1000;
    try {
      assert.ok(times.length > 0);
      assert.ok(Math.abs(times[0] - 1) < 1e-6, `first frame at ${times[0]} s, not 1 s`);
      assert.ok(wall >= 0.8 * 2, `2 s of clip played in ${wall.toFixed(2)} s`);
      for (const r of inference.dispatcher.getResults("indices")) {
        assert.ok(r.time >= 1 && r.position >= 1);
      }
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("realtime: stop() mid-run ends promptly with complete sink output, no ffmpeg left", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 20, fps: FPS });
    const out = `${dir}/out.jsonl`;
    const dispatcher = new Dispatcher();
    dispatcher.addSink(await JsonlSink.open(out));
    let stoppedAt = -1;
    let afterStop = 0;
    const inference = new Inference(dispatcher, {
      process: ({ frame }) => {
        if (stoppedAt >= 0) afterStop++;
        else if (frame.index >= 25) {
          stoppedAt = frame.index;
          inference.stop();
        }
      },
    });
    await inference.loadAlgo(new Indices(), { frameCount: 2, frameStep: 0, interval: 0.1 });
    // a run in flight at stop time: it gets the grace period and its record is kept
    await inference.loadAlgo(new Sleepy(300), { frameCount: 1, frameStep: 0, interval: 0.1 });
    const p = player(clip);
    try {
      const summary = await within(
        15_000,
        "a stopped realtime run",
        inference.start(p, { mode: "realtime" }),
      );
      assert.ok(stoppedAt >= 25, "the hook never stopped the run");
      assert.equal(summary.stopped, true);
      assert.ok(p.time < 20 - 1, "the whole clip was played");
      // no ffmpeg left the moment start() returns
      await assertNoFfmpegLeft(dir, 0);

      // the sink's output is complete: renamed, every record, in JSONL form
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "clip.mp4",
        "out.jsonl",
      ]);
      const records = await readRecords(out);
      assert.ok(records.length > 0);
      for (const name of ["indices", "sleepy"]) {
        const kept = dispatcher.getResults(name);
        assert.ok(kept.length > 0, `no ${name} records`);
        assert.deepEqual(
          records.filter((r) => r.algo === name),
          kept.map((r) => JSON.parse(recordLine(r))),
        );
      }
      const m = inference.metrics();
      assert.equal(m.algos.sleepy.runs, dispatcher.getResults("sleepy").length);

      // reading stops at once: the frame that called stop() is the last one played
      assert.equal(afterStop, 0, `${afterStop} frame(s) were played after stop()`);
      assert.equal(summary.frames, stoppedAt + 1);
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("realtime: Player.play ends at once when its signal aborts", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 3, fps: FPS });
    const p = player(clip);
    const abort = new AbortController();
    const indices: number[] = [];
    await within(
      15_000,
      "an aborted play",
      (async () => {
        for await (const frame of p.play({ realtime: true, signal: abort.signal })) {
          indices.push(frame.index);
          if (frame.index === 10) abort.abort();
        }
      })(),
    );
    await assertNoFfmpegLeft(dir, 0);
    // PlayOptions.signal: "aborting it stops play": no frame after the abort
    assert.deepEqual(indices, [...Array(11).keys()], "frames were yielded after the abort");
    assert.equal(p.framesPlayed, 11);
  });
});

Deno.test("realtime: frames dropped while the loop lags never recycle a buffer the ring still holds", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 6, width: 80, height: 60 });
    let played = 0;
    const held: Frame[] = [];
    const inference = new Inference(new Dispatcher(), {
      log: false,
      // every 10th frame the main thread stalls for 300 ms, so the player drops late frames
      process: ({ frame }) => {
        for (const f of held) {
          assert.ok(f.data.byteLength > 0, `frame ${f.index}'s buffer was recycled while held`);
        }
        held.splice(0, held.length, frame);
        if (++played % 10 === 0) {
          const until = performance.now() + 300;
          while (performance.now() < until) { /* stall */ }
        }
      },
    });
    try {
      // a slow worker plugin: due ticks wait, and are served later from the ring's newest frame
      await inference.loadAlgo(new URL("./fixtures/ms_slow.ts", import.meta.url), {
        name: "slow",
        frameCount: 1,
        frameStep: 0,
        interval: 0.04,
        options: { ms: 150 },
      });
      const player = new Player(new FFmpegProducer({ width: 80, height: 60 }), clip);
      const summary = await within(
        30_000,
        "the run did not end",
        inference.start(player, {
          mode: "realtime",
        }),
      );
      const metrics = inference.metrics().sources.main;
      assert.ok(metrics.player.framesDropped > 0, "the stalls made the player drop frames");
      assert.equal(summary.sources.main.state, "ended", summary.sources.main.error);
      assert.equal(summary.algos.slow.errors, 0);
      assert.ok(summary.algos.slow.runs > 0);
    } finally {
      await inference.dispose();
    }
    await assertNoFfmpegLeft(clip, 0);
  });
});

Deno.test("realtime: the pace starts once the first frame is handled (set-up on it drops nothing)", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, {
      width: 64,
      height: 48,
      fps: 10,
      seconds: 3,
    });
    const inference = new Inference(new Dispatcher(), { log: false });
    let first = true;
    inference.observe({
      everyFrame: true,
      // an output starting up on the first frame (an encoder spawned, say): 1 s = 10 frames
      onFrame: async () => {
        if (!first) return;
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      },
    });
    try {
      await inference.loadAlgo(new Indices(), { frameCount: 1, frameStep: 0, interval: 0.5 });
      const summary = await within(
        30_000,
        "the run did not end",
        inference.start(new Player(new FFmpegProducer(), clip), { mode: "realtime" }),
      );
      const main = inference.metrics().sources.main;
      assert.equal(summary.sources.main.state, "ended");
      // before: the frames read during that second were all late, and dropped
      assert.equal(main.player.framesDropped, 0);
      assert.equal(main.player.framesRead, 30);
    } finally {
      await inference.dispose();
    }
    await assertNoFfmpegLeft(clip, 0);
  });
});
