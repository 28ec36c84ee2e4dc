/**
 * Many sources in one Inference (README "Many sources", docs/contract.md §4.1, §4.2, §4.3):
 *
 * 1. Three sources in one run, two generated files and a live HTTP stream served by ffmpeg on
 *    loopback. Offline, each file's records are byte-identical to a run of that file alone,
 *    for a stateless inline algorithm and the motion plugin in a worker (state keyed by
 *    `frame.source`). Realtime, with one saturated instance, every source gets a fair share
 *    of the runs (a ratio of counts) and skipped ticks are counted per source.
 * 2. One pool of 2 plugin instances serves 3 sources: 2 workers, not 3.
 * 3. A source that fails to open ends alone; the others play; `start` rejects only when every
 *    source failed without a frame.
 * 4. Sources added and removed while a realtime run goes on.
 *
 * Run with --unstable-worker-options (as `deno task test` does). No timing thresholds: bounded
 * waits only fail a test that hangs.
 */
import assert from "node:assert/strict";
import {
  type AlgoRecord,
  BaseAlgo,
  FFmpegProducer,
  type Frame,
  Inference,
  InputError,
  type Metrics,
  Player,
  type PlayerEvent,
  recordLine,
  type RunSummary,
  type SourceEvent,
} from "../mod.ts";
import type { PoolRun } from "./fixtures/ms_pool.ts";
import { assertNoFfmpeg, ffmpeg, FIXTURES, makeTestsrc, ROOT, withTempDir } from "./helpers.ts";
import {
  assertNoFfmpegLeft,
  FfmpegServer,
  liveEndpoint,
  waitListening,
  waitUntil,
  within,
} from "./live_helpers.ts";

/** Frames are decoded small: the tests are about sources, not pixels. */
const SIZE = { width: 80, height: 60 };
const MOTION = `${ROOT}/plugins/motion.ts`;

/** The mean level of the newest frame: keeps no state between runs. */
class Mean extends BaseAlgo<unknown, { mean: number }> {
  run(frames: Frame[]) {
    const { data } = frames[frames.length - 1];
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[i];
    return { mean: Math.round((sum / data.length) * 1000) / 1000 };
  }
}

function player(url: string, id: string, events: PlayerEvent[] = []): Player {
  return new Player(new FFmpegProducer(SIZE), url, { id, onEvent: (e) => events.push(e) });
}

/** A clip of a yellow square moving over a dark blue background (160x120, 25 fps, H.264). */
async function makeSquareClip(path: string, seconds: number): Promise<string> {
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `color=c=0x203060:s=160x120:r=25:d=${seconds}`,
    "-f",
    "lavfi",
    "-i",
    `color=c=0xf0c020:s=32x32:r=25:d=${seconds}`,
    "-filter_complex",
    "[0][1]overlay=x='mod(t*60,128)':y='44+30*sin(t*2)':shortest=1",
    "-pix_fmt",
    "yuv420p",
    "-c:v",
    "libx264",
    path,
  ]);
  return path;
}

/** The stateless mean (every 2nd frame at 10 fps) and motion in a worker (every frame). */
async function loadOfflineAlgos(inference: Inference): Promise<void> {
  await inference.loadAlgo(new Mean(), {
    name: "mean",
    frameCount: 1,
    frameStep: 0,
    interval: 0.2,
  });
  await inference.loadAlgo(MOTION, {
    name: "motion",
    frameCount: 1,
    frameStep: 0,
    interval: 0.1,
    options: { width: 40, threshold: 20, minArea: 2 },
  });
  const motion = inference.listAlgos().find((a) => a.name === "motion");
  assert.ok(motion?.plugin, "motion is loaded from its plugin path (runs in a worker)");
}

/** Records as JSONL lines, grouped by source, each source's in the order they were handed on. */
function collectLines(inference: Inference): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  inference.observe({
    onRecord(record) {
      let list = lines.get(record.source);
      if (!list) lines.set(record.source, list = []);
      list.push(recordLine(record));
    },
  });
  return lines;
}

/** A file played offline at 10 fps on its own (the one-source form of `start`). */
async function offlineAlone(clip: string, id: string): Promise<string[]> {
  const inference = new Inference();
  try {
    await loadOfflineAlgos(inference);
    const lines = collectLines(inference);
    const summary = await within(
      60_000,
      `offline run of ${id} alone`,
      inference.start(player(clip, id), { fps: 10, mode: "offline" }),
    );
    assert.deepEqual(Object.keys(summary.sources), [id]);
    assert.equal(summary.sources[id].state, "ended");
    assert.deepEqual([...lines.keys()], [id]);
    return lines.get(id)!;
  } finally {
    await inference.dispose();
  }
}

function byAlgo(lines: string[], algo: string): AlgoRecord[] {
  return lines.map((l) => JSON.parse(l) as AlgoRecord).filter((r) => r.algo === algo);
}

/** A count of something per source id. */
class Tally {
  readonly counts = new Map<string, number>();
  add(source: string): number {
    const n = (this.counts.get(source) ?? 0) + 1;
    this.counts.set(source, n);
    return n;
  }
  of(source: string): number {
    return this.counts.get(source) ?? 0;
  }
}

Deno.test("many sources, offline: two files next to a live stream give each file's records alone", async () => {
  await withTempDir(async (dir) => {
    // 4 s at 25 fps played at 10 fps: 40 frames each; mean runs 20 times, motion 40
    const a = await makeTestsrc(`${dir}/a.mp4`, { seconds: 4 });
    const b = await makeSquareClip(`${dir}/b.mp4`, 4);
    const aloneA = await offlineAlone(a, "a");
    const aloneB = await offlineAlone(b, "b");
    for (const alone of [aloneA, aloneB]) {
      assert.equal(byAlgo(alone, "mean").length, 20);
      assert.equal(byAlgo(alone, "motion").length, 40);
    }
    // the two clips differ, so a mix-up of sources would show
    assert.notDeepEqual(
      byAlgo(aloneA, "mean").map((r) => r.result),
      byAlgo(aloneB, "mean").map((r) => r.result),
    );
    assert.ok(
      byAlgo(aloneB, "motion").some((r) => (r.result as { score: number }).score > 0),
      "the square moves",
    );

    const endpoint = await liveEndpoint("http");
    const server = FfmpegServer.start(endpoint);
    const inference = new Inference();
    const events: SourceEvent[] = [];
    let run: Promise<RunSummary | void> = Promise.resolve();
    try {
      await loadOfflineAlgos(inference);
      const lines = collectLines(inference);
      // an offline live source plays until stopped: stop once both files have ended and the
      // live stream has given records too
      const filesEnded = new Set<string>();
      const liveRecords = new Tally();
      const maybeStop = () => {
        if (filesEnded.size === 2 && liveRecords.of("live") >= 4) inference.stop();
      };
      inference.observe({
        onSource(e) {
          events.push(e);
          if (e.type === "ended" && e.source !== "live") filesEnded.add(e.source);
          maybeStop();
        },
        onRecord(record) {
          if (record.source === "live") liveRecords.add("live");
          maybeStop();
        },
      });
      await waitListening(endpoint);
      inference.addSource(player(a, "a"), { fps: 10 });
      inference.addSource(player(endpoint.url, "live"), { fps: 10 });
      inference.addSource(player(b, "b"), { fps: 10 });
      run = inference.start(undefined, { mode: "offline" });
      const summary = (await within(60_000, "offline run of three sources", run))!;

      assert.equal(summary.stopped, true);
      assert.deepEqual(Object.keys(summary.sources).sort(), ["a", "b", "live"]);
      for (const id of ["a", "b"]) {
        assert.equal(summary.sources[id].state, "ended", `${id}: ${summary.sources[id].error}`);
        assert.equal(summary.sources[id].frames, 40);
        assert.deepEqual(summary.sources[id].algos, {
          mean: { runs: 20, errors: 0, skipped: 0 },
          motion: { runs: 40, errors: 0, skipped: 0 },
        });
      }
      // the determinism of §4.1, byte for byte, with a live stream playing alongside
      assert.deepEqual(lines.get("a"), aloneA, "records of a differ from a run of a alone");
      assert.deepEqual(lines.get("b"), aloneB, "records of b differ from a run of b alone");
      const live = lines.get("live") ?? [];
      assert.ok(live.length >= 4, `records of the live stream: ${live.length}`);
      for (const line of live) {
        const r = JSON.parse(line) as AlgoRecord;
        assert.equal(r.source, "live");
        assert.equal(r.error, undefined, `live ${r.algo}@${r.frame}: ${r.error}`);
      }
      assert.equal(summary.sources.live.url, endpoint.url);
      assert.ok(summary.sources.live.frames > 0);
      const totals = summary.algos;
      for (const algo of ["mean", "motion"]) {
        const perSource = Object.values(summary.sources).map((s) => s.algos[algo].runs);
        assert.equal(totals[algo].runs, perSource.reduce((x, y) => x + y, 0), algo);
      }
      for (const id of ["a", "b", "live"]) {
        assert.ok(events.some((e) => e.source === id && e.type === "opened"), `${id} opened`);
      }
      assert.ok(!events.some((e) => e.type === "failed"), JSON.stringify(events));
    } finally {
      inference.stop();
      await run.catch(() => {});
      await inference.dispose();
      await server.stop();
    }
    await assertNoFfmpegLeft(dir);
    await assertNoFfmpegLeft(endpoint.url);
  });
});

Deno.test("many sources, realtime: a saturated pool serves three sources fairly; skips counted per source", async () => {
  await withTempDir(async (dir) => {
    // long enough to outlast the run: it is stopped after ~90 runs (some 8 s)
    const a = await makeTestsrc(`${dir}/a.mp4`, { seconds: 20 });
    const b = await makeSquareClip(`${dir}/b.mp4`, 20);
    const endpoint = await liveEndpoint("http");
    const server = FfmpegServer.start(endpoint);
    const inference = new Inference();
    const ids = ["a", "b", "live"];
    const runs = new Tally();
    const skips = new Tally();
    const events: SourceEvent[] = [];
    const bad: AlgoRecord[] = [];
    let base: Map<string, number> | undefined;
    let atStop: { runs: Map<string, number>; metrics: Metrics } | undefined;
    let run: Promise<RunSummary | void> = Promise.resolve();
    try {
      // played at 10 fps with a tick due on every frame, each source ticks every 0.1 s (~30
      // ticks/s in all); one instance held 80 ms per run serves at most ~12 of them: the pool
      // stays saturated, and a source's next tick comes well before its turn (3 x 80 ms)
      await inference.loadAlgo(`${FIXTURES}/ms_slow.ts`, {
        name: "slow",
        frameCount: 1,
        frameStep: 0,
        interval: 0.05,
        options: { ms: 80 },
      });
      inference.observe({
        onSource: (e) => void events.push(e),
        onSkip: (skip) => void skips.add(skip.source),
        onRecord(record) {
          // (an observer that throws is only reported and detached: keep the problems for later)
          const ran = (record.result as { source?: string } | undefined)?.source;
          if (record.error !== undefined || ran !== record.source) bad.push(record);
          runs.add(record.source);
          if (atStop) return;
          // count from the moment every source has been served (they open at different times)
          if (!base && ids.every((id) => runs.of(id) > 0)) base = new Map(runs.counts);
          if (!base) return;
          const served = ids.reduce((n, id) => n + runs.of(id) - base!.get(id)!, 0);
          if (served >= 90) {
            atStop = { runs: new Map(runs.counts), metrics: inference.metrics() };
            inference.stop();
          }
        },
      });
      await waitListening(endpoint);
      inference.addSource(player(a, "a"), { fps: 10 });
      inference.addSource(player(b, "b"), { fps: 10 });
      inference.addSource(player(endpoint.url, "live"), { fps: 10 });
      run = inference.start(undefined, { mode: "realtime" });
      const summary = (await within(60_000, "realtime run of three sources", run))!;
      assert.deepEqual(bad, [], "error records, or results of another source");
      assert.equal(summary.stopped, true);
      assert.ok(atStop && base, "the run was stopped by the test");

      // every source was still playing when it was stopped, so the window compares like with like
      for (const id of ids) {
        assert.equal(atStop.metrics.sources[id].state, "playing", `${id} at stop`);
      }
      const window = ids.map((id) => atStop!.runs.get(id)! - base!.get(id)!);
      const mean = window.reduce((x, y) => x + y, 0) / ids.length;
      const shares = JSON.stringify(Object.fromEntries(ids.map((id, i) => [id, window[i]])));
      for (const [i, id] of ids.entries()) {
        assert.ok(
          Math.abs(window[i] - mean) <= 0.15 * mean,
          `${id}: runs per source ${shares} are not within 15% of their mean ${mean.toFixed(1)}`,
        );
      }

      // skipped ticks are counted per source and add up to the algorithm's total
      const metrics = inference.metrics();
      let skippedSum = 0;
      let runsSum = 0;
      for (const id of ids) {
        const m = metrics.sources[id].algos.slow;
        assert.equal(m.runs, runs.of(id), `${id} runs`);
        assert.equal(m.skipped, skips.of(id), `${id} skipped`);
        assert.ok(m.skipped > 0, `${id}: no tick was skipped, the pool was not saturated`);
        assert.deepEqual(summary.sources[id].algos.slow, {
          runs: m.runs,
          errors: 0,
          skipped: m.skipped,
        });
        skippedSum += m.skipped;
        runsSum += m.runs;
      }
      assert.equal(metrics.algos.slow.skipped, skippedSum);
      assert.equal(metrics.algos.slow.runs, runsSum);
      assert.deepEqual(summary.algos.slow, { runs: runsSum, errors: 0, skipped: skippedSum });
      // the same holds mid-run
      const mid = atStop.metrics;
      assert.equal(
        mid.algos.slow.skipped,
        ids.reduce((n, id) => n + mid.sources[id].algos.slow.skipped, 0),
      );
      assert.ok(!events.some((e) => e.type === "failed"), JSON.stringify(events));
    } finally {
      inference.stop();
      await run.catch(() => {});
      await inference.dispose();
      await server.stop();
    }
    await assertNoFfmpegLeft(dir);
    await assertNoFfmpegLeft(endpoint.url);
  });
});

Deno.test("many sources: one pool of 2 plugin instances serves 3 sources", async () => {
  await withTempDir(async (dir) => {
    // played at 10 fps, a run on every frame: 30, 20 and 40 runs
    const clips = {
      a: await makeTestsrc(`${dir}/a.mp4`, { seconds: 3 }),
      b: await makeSquareClip(`${dir}/b.mp4`, 2),
      c: await makeTestsrc(`${dir}/c.mp4`, { seconds: 4, width: 128, height: 96 }),
    };
    const expected: Record<string, number> = { a: 30, b: 20, c: 40 };
    const inference = new Inference();
    try {
      await inference.loadAlgo(`${FIXTURES}/ms_pool.ts`, {
        name: "pool",
        frameCount: 1,
        frameStep: 0,
        interval: 0.1,
        instances: 2,
      });
      assert.equal(inference.listAlgos()[0].instances, 2);
      for (const [id, clip] of Object.entries(clips)) {
        inference.addSource(player(clip, id), { fps: 10 });
      }
      const summary = await within(
        60_000,
        "offline run of three sources",
        inference.start(undefined, { mode: "offline" }),
      );

      const records = inference.dispatcher.getResults("pool");
      assert.equal(records.length, 90);
      const runs = records.map((r) => {
        assert.equal(r.error, undefined, `${r.source}@${r.frame}: ${r.error}`);
        const result = r.result as PoolRun;
        assert.equal(result.source, r.source, "frames[0].source is the record's source");
        assert.equal(result.frame, r.frame);
        assert.equal(result.instances, 2);
        return result;
      });
      // exactly two instances, in two workers, served the three sources
      const instances = new Set(runs.map((r) => r.instance));
      assert.deepEqual([...instances].sort(), [0, 1]);
      const workerOf = new Map<number, string>();
      for (const r of runs) {
        assert.equal(workerOf.get(r.instance) ?? r.worker, r.worker, "one worker per instance");
        workerOf.set(r.instance, r.worker);
      }
      assert.equal(new Set(runs.map((r) => r.worker)).size, 2, "two workers for three sources");
      // each instance served more than one source (at least one must, by pigeonhole)
      for (const instance of [0, 1]) {
        const served = new Set(runs.filter((r) => r.instance === instance).map((r) => r.source));
        assert.ok(served.size >= 2, `instance ${instance} served only ${[...served]}`);
      }
      assert.deepEqual(new Set(runs.map((r) => r.source)), new Set(["a", "b", "c"]));

      // per source: in frame order; per (instance, source) the count goes 1, 2, 3, ...; the
      // counts of the two instances add up to the source's runs
      for (const id of ["a", "b", "c"]) {
        const mine = runs.filter((r) => r.source === id);
        assert.deepEqual(mine.map((r) => r.frame), [...Array(expected[id]).keys()], id);
        let total = 0;
        for (const instance of [0, 1]) {
          const seen = mine.filter((r) => r.instance === instance).map((r) => r.seenFromSource);
          assert.deepEqual(seen, seen.map((_, k) => k + 1), `${id} on instance ${instance}`);
          total += seen.length ? seen[seen.length - 1] : 0;
        }
        assert.equal(total, expected[id], id);
        assert.equal(summary.sources[id].state, "ended");
        assert.deepEqual(summary.sources[id].algos.pool, {
          runs: expected[id],
          errors: 0,
          skipped: 0,
        });
      }
      assert.deepEqual(summary.algos.pool, { runs: 90, errors: 0, skipped: 0 });
      // and still two instances
      assert.equal(inference.listAlgos()[0].instances, 2);
    } finally {
      await inference.dispose();
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("many sources: a source that cannot be opened fails alone, the others play", async () => {
  await withTempDir(async (dir) => {
    const a = await makeTestsrc(`${dir}/a.mp4`, { seconds: 2 });
    const b = await makeSquareClip(`${dir}/b.mp4`, 2);
    const missing = `${dir}/missing.mp4`;
    const inference = new Inference();
    const events: SourceEvent[] = [];
    try {
      await inference.loadAlgo(new Mean(), {
        name: "mean",
        frameCount: 1,
        frameStep: 0,
        interval: 0.2,
      });
      inference.observe({ onSource: (e) => void events.push(e) });
      inference.addSource(player(a, "a"), { fps: 10 });
      inference.addSource(player(missing, "missing"), { fps: 10 });
      inference.addSource(player(b, "b"), { fps: 10 });
      const summary = await within(
        60_000,
        "offline run with a missing file",
        inference.start(undefined, { mode: "offline" }),
      );

      assert.equal(summary.stopped, false);
      const bad = summary.sources.missing;
      assert.equal(bad.state, "failed");
      assert.match(bad.error ?? "", /missing\.mp4/);
      assert.equal(bad.frames, 0);
      assert.equal(bad.algos.mean.runs, 0);
      assert.equal(inference.metrics().sources.missing.state, "failed");
      const failed = events.filter((e) => e.source === "missing" && e.type === "failed");
      assert.equal(failed.length, 1, JSON.stringify(events));
      assert.match(failed[0].message, /missing\.mp4/);
      assert.ok(!events.some((e) => e.source === "missing" && e.type === "opened"));

      // 2 s at 10 fps: 20 frames, a run on every second one
      const records = inference.dispatcher.getResults("mean");
      for (const id of ["a", "b"]) {
        assert.equal(summary.sources[id].state, "ended", `${id}: ${summary.sources[id].error}`);
        assert.equal(summary.sources[id].frames, 20);
        const mine = records.filter((r) => r.source === id);
        assert.deepEqual(mine.map((r) => r.frame), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
        assert.ok(mine.every((r) => r.error === undefined));
        assert.ok(events.some((e) => e.source === id && e.type === "ended"));
      }
      assert.equal(records.length, 20, "no record of the missing source");
    } finally {
      await inference.dispose();
    }

    // when every source fails without a frame, start rejects with the first one's error
    const none = new Inference();
    try {
      await none.loadAlgo(new Mean(), { name: "mean", frameCount: 1, frameStep: 0, interval: 1 });
      none.addSource(player(`${dir}/x.mp4`, "x"));
      none.addSource(player(`${dir}/y.mp4`, "y"));
      await assert.rejects(
        within(60_000, "a run of missing files", none.start(undefined, { mode: "offline" })),
        (e: Error) => /x\.mp4/.test(e.message) && !/y\.mp4/.test(e.message),
      );
      assert.equal(none.running, false);
    } finally {
      await none.dispose();
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("many sources, realtime: sources are added and removed while the run goes on", async () => {
  await withTempDir(async (dir) => {
    // long enough never to end by itself here
    const first = await makeTestsrc(`${dir}/first.mp4`, { seconds: 30 });
    const endpoint = await liveEndpoint("http");
    const server = FfmpegServer.start(endpoint);
    const inference = new Inference();
    const frames = new Tally();
    const events: SourceEvent[] = [];
    let run: Promise<RunSummary | void> = Promise.resolve();
    try {
      await inference.loadAlgo(new Mean(), {
        name: "mean",
        frameCount: 1,
        frameStep: 0,
        interval: 0.2,
      });
      inference.observe({
        everyFrame: true,
        onSource: (e) => void events.push(e),
        onFrame: (frame) => void frames.add(frame.source),
      });
      inference.addSource(player(first, "first"), { fps: 10 });
      run = inference.start(undefined, { mode: "realtime" });
      await waitUntil(30_000, "frames of the first source", () => frames.of("first") >= 10);

      await waitListening(endpoint);
      inference.addSource(player(endpoint.url, "second"), { fps: 10 });
      await waitUntil(30_000, "frames of the added source", () => frames.of("second") >= 5);
      assert.deepEqual(Object.keys(inference.metrics().sources).sort(), ["first", "second"]);
      // ids of sources still playing are refused
      for (const id of ["first", "second"]) {
        assert.throws(() => inference.addSource(player(endpoint.url, id)), InputError);
      }

      assert.equal(await within(10_000, "removeSource", inference.removeSource("first")), true);
      // its ffmpeg was killed and reaped before removeSource resolved
      await assertNoFfmpeg(first);
      assert.deepEqual(Object.keys(inference.metrics().sources), ["second"]);
      assert.ok(events.some((e) => e.source === "first" && e.type === "removed"));
      assert.equal(await inference.removeSource("first"), false, "already removed");
      assert.equal(await inference.removeSource("nope"), false, "unknown id");

      // the run goes on with the second source alone
      const firstFrames = frames.of("first");
      const secondFrames = frames.of("second");
      await waitUntil(
        30_000,
        "frames of the second source after the removal",
        () => frames.of("second") >= secondFrames + 10,
      );
      assert.equal(frames.of("first"), firstFrames, "frames of a removed source");
      assert.equal(inference.running, true);

      inference.stop();
      const summary = (await within(30_000, "the stopped run", run))!;
      assert.equal(summary.stopped, true);
      assert.deepEqual(Object.keys(summary.sources), ["second"]);
      assert.equal(summary.sources.second.url, endpoint.url);
      assert.ok(summary.sources.second.frames >= secondFrames + 10);
      const records = inference.dispatcher.getResults("mean");
      const second = records.filter((r) => r.source === "second");
      assert.ok(second.length > 0, "no records of the added source");
      assert.ok(second.every((r) => r.error === undefined));
      assert.ok(records.some((r) => r.source === "first"), "no records of the first source");
      assert.equal(summary.sources.second.algos.mean.runs, second.length);
      // the removed source's work still counts in the run's totals
      assert.equal(summary.algos.mean.runs, records.length);
      assert.equal(inference.metrics().algos.mean.runs, records.length);
      assert.ok(summary.frames > summary.sources.second.frames);
      assert.ok(!events.some((e) => e.type === "failed"), JSON.stringify(events));
    } finally {
      inference.stop();
      await run.catch(() => {});
      await inference.dispose();
      await server.stop();
    }
    await assertNoFfmpegLeft(dir);
    await assertNoFfmpegLeft(endpoint.url);
  });
});
