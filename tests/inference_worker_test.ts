/**
 * Inference with worker-run plugins (docs/contract.md §4.1): offline runs overlap decoding yet equal a
 * strictly serial run; plugin errors, hangs and crashes become records, restarts and a
 * disabled algorithm; the sandbox grants only what the options say; realtime workers run in
 * parallel; frames reach the worker with the right pixels; integrity pins are enforced.
 *
 * Run with --unstable-worker-options (as `deno task test` does) so that sandboxing is on.
 * No timing thresholds: only bounded waits (a hung pipeline fails instead of hanging) and
 * comparisons that hold by construction.
 */
import assert from "node:assert/strict";
import MotionDetector from "../plugins/motion.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import { PluginError } from "../src/errors.ts";
import type { Frame } from "../src/frame.ts";
import { Inference, type RunSummary } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import type { AlgoRecord } from "../src/record.ts";
import { JsonlSink } from "../src/sinks/jsonl.ts";
import { isWorkerSandboxAvailable } from "../src/worker/runner.ts";
import InfPixels, { type PixelInfo } from "./fixtures/inf_pixels.ts";
import { assertNoFfmpeg, makeTestsrc, ROOT, withTempDir } from "./helpers.ts";
import { within } from "./live_helpers.ts";

const WIDTH = 160;
const HEIGHT = 120;
const FIXTURE = (name: string) => `tests/fixtures/${name}`;

function player(source: string): Player {
  return new Player(new FFmpegProducer({ width: WIDTH, height: HEIGHT }), source, {});
}

/** FNV-1a (32-bit), computed here on the main thread, independently of the fixture. */
function checksum(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

/** `sha256-<base64>` of a file's bytes, computed with WebCrypto. */
async function sriOf(path: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", await Deno.readFile(path)),
  );
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}

/** A schedule of one frame per run, every `interval` seconds. */
function oneFrame(interval: number) {
  return { frameCount: 1, frameStep: 0, interval };
}

/** An inference over a new dispatcher, loading plugins from the repo, collecting events. */
function withEvents(): { inference: Inference; events: string[] } {
  const events: string[] = [];
  const inference = new Inference(new Dispatcher(), {
    pluginBase: ROOT,
    log: false,
  });
  inference.observe({ onAlgo: (e) => events.push(e.message) });
  return { inference, events };
}

/** Runs `start` with a bounded wait, then returns its summary. */
function started(
  inference: Inference,
  p: Player,
  options: Parameters<Inference["start"]>[1],
): Promise<RunSummary> {
  return within(60_000, `${options?.mode ?? "offline"} run`, inference.start(p, options));
}

// ---------------------------------------------------------------------------------------------
// Offline: overlapped worker runs equal a serial run
// ---------------------------------------------------------------------------------------------

type Kind = "worker" | "inline" | "instance";

interface OfflineOut {
  jsonl: string;
  /** Records in the order the process hook received them. */
  hooked: AlgoRecord[];
  /** Indices of the frames the hook saw, in order. */
  frames: number[];
  summary: RunSummary;
  events: string[];
}

/**
 * motion (frameCount 1, every 2 played frames) and pixels (frameCount 3, frameStep 2, every 3
 * played frames, slower than decoding): as worker plugins, as main-thread plugins
 * (`worker: false`) or as instances.
 */
async function offlineRun(
  clip: string,
  out: string,
  kind: Kind,
  options: { hook?: boolean; lookahead?: number; instances?: number } = {},
): Promise<OfflineOut> {
  const dispatcher = new Dispatcher();
  dispatcher.addSink(await JsonlSink.open(out));
  const hooked: AlgoRecord[] = [];
  const frames: number[] = [];
  const events: string[] = [];
  const inference = new Inference(dispatcher, {
    pluginBase: ROOT,
    lookahead: options.lookahead,
    log: false,
    process: options.hook
      ? ({ frame, ran }) => {
        frames.push(frame.index);
        for (const record of ran) {
          assert.equal(
            record.frame,
            frame.index,
            `${kind}: a record of frame ${record.frame} handed on with frame ${frame.index}`,
          );
          hooked.push(record);
        }
      }
      : undefined,
  });
  inference.observe({ onAlgo: (e) => events.push(e.message) });
  const motion = {
    name: "motion",
    ...oneFrame(0.2),
    options: { width: 80, threshold: 20, minArea: 2 },
  };
  const pixels = {
    name: "pixels",
    frameCount: 3,
    frameStep: 2,
    interval: 0.3,
    options: { spinMs: 15 },
  };
  try {
    if (kind === "instance") {
      await inference.loadAlgo(new MotionDetector(), motion);
      await inference.loadAlgo(new InfPixels(), pixels);
    } else {
      const worker = kind === "worker";
      await inference.loadAlgo("plugins/motion.ts", { ...motion, worker });
      // pixels keeps no state between runs, so it may run as several instances; motion
      // compares each frame with the previous run's, so it stays one
      await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
        ...pixels,
        worker,
        instances: options.instances,
      });
    }
    const summary = await started(inference, player(clip), { fps: 10, mode: "offline" });
    return { jsonl: await Deno.readTextFile(out), hooked, frames, summary, events };
  } finally {
    await inference.dispose();
  }
}

Deno.test("offline: worker runs overlap decoding yet give byte-identical JSONL to serial runs", async () => {
  await withTempDir(async (dir) => {
    // 3 s at 25 fps, played at 10 fps: 30 frames
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { width: 320, height: 240, seconds: 3 });
    const reference = await offlineRun(clip, `${dir}/instance.jsonl`, "instance");
    const lines = reference.jsonl.trimEnd().split("\n").map((l) => JSON.parse(l) as AlgoRecord);
    // motion on frames 1, 3, ..., 29; pixels on 5, 8, ..., 29 (it needs 5 frames of span)
    const motionFrames = Array.from({ length: 15 }, (_, i) => 2 * i + 1);
    const pixelFrames = Array.from({ length: 9 }, (_, i) => 3 * i + 5);
    assert.deepEqual(lines.filter((r) => r.algo === "motion").map((r) => r.frame), motionFrames);
    assert.deepEqual(lines.filter((r) => r.algo === "pixels").map((r) => r.frame), pixelFrames);
    for (let i = 1; i < lines.length; i++) {
      assert.ok(lines[i].frame >= lines[i - 1].frame, "records are in frame order");
    }
    for (const r of lines) {
      assert.equal(r.error, undefined, `${r.algo}@${r.frame}: ${r.error}`);
      if (r.algo !== "pixels") continue;
      const infos = (r.result as { frames: PixelInfo[] }).frames;
      assert.deepEqual(infos.map((f) => f.index), [r.frame - 4, r.frame - 2, r.frame]);
      for (const f of infos) assert.equal(f.bytes, WIDTH * HEIGHT * 3);
    }
    assert.ok(
      lines.some((r) => r.algo === "motion" && (r.result as { score: number }).score > 0),
      "testsrc2 moves: motion was detected somewhere",
    );

    const runs: [string, Kind, { hook?: boolean; lookahead?: number; instances?: number }][] = [
      ["worker", "worker", {}],
      ["inline", "inline", {}],
      ["worker-hook", "worker", { hook: true }],
      ["worker-hook-lookahead3", "worker", { hook: true, lookahead: 3 }],
      ["worker-instances2", "worker", { instances: 2 }],
      ["worker-hook-instances3", "worker", { hook: true, instances: 3 }],
      ["inline-hook", "inline", { hook: true }],
      ["instance-hook", "instance", { hook: true }],
    ];
    for (const [label, kind, options] of runs) {
      const got = await offlineRun(clip, `${dir}/${label}.jsonl`, kind, options);
      assert.equal(got.jsonl, reference.jsonl, `${label}: JSONL differs from the serial run`);
      assert.deepEqual(got.summary.algos, {
        motion: { runs: 15, errors: 0, skipped: 0 },
        pixels: { runs: 9, errors: 0, skipped: 0 },
      });
      assert.deepEqual(got.events, [], `${label}: unexpected events`);
      if (!options.hook) continue;
      // the hook forces every frame to be decoded and sees them all, in order ...
      assert.equal(got.summary.frames, 30);
      assert.deepEqual(got.frames, Array.from({ length: 30 }, (_, i) => i), label);
      // ... each with the records of its own frame (checked in the hook), in load order, and
      // with every record exactly once: together, the JSONL in its order
      assert.deepEqual(got.hooked, lines, `${label}: records seen by the hook`);
    }
    await assertNoFfmpeg(dir);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors, hangs, crashes
// ---------------------------------------------------------------------------------------------

Deno.test("offline: a worker plugin that throws on some frames gives error records; the run continues", async () => {
  await withTempDir(async (dir) => {
    // 2 s at 25 fps, played at 10 fps: 20 frames; interval 0.1: a run on every frame
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const expected = Array.from(
      { length: 20 },
      (_, index) =>
        index % 3 === 1
          ? { error: `RangeError: bad frame ${index}` }
          : index % 5 === 0
          ? { error: `a string at ${index}` }
          : { result: { index } },
    );
    const jsonl: string[] = [];
    for (const worker of [true, false]) {
      const out = `${dir}/flaky-${worker}.jsonl`;
      const events: string[] = [];
      const dispatcher = new Dispatcher();
      dispatcher.addSink(await JsonlSink.open(out));
      const inference = new Inference(dispatcher, {
        pluginBase: ROOT,
        log: false,
      });
      inference.observe({ onAlgo: (e) => events.push(e.message) });
      try {
        await inference.loadAlgo(FIXTURE("inf_flaky.ts"), {
          name: "flaky",
          ...oneFrame(0.1),
          worker,
        });
        await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
          name: "pixels",
          ...oneFrame(0.2),
          worker,
        });
        const summary = await started(inference, player(clip), { fps: 10 });
        const errors = expected.filter((e) => e.error !== undefined).length;
        assert.deepEqual(summary.algos, {
          flaky: { runs: 20, errors, skipped: 0 },
          pixels: { runs: 10, errors: 0, skipped: 0 },
        });
        const records = dispatcher.getResults("flaky");
        assert.deepEqual(
          records.map(({ frame, error, result }) =>
            error !== undefined ? { frame, error } : { frame, result }
          ),
          expected.map((e, frame) => ({ frame, ...e })),
        );
        // the other algorithm ran on schedule throughout
        assert.deepEqual(
          dispatcher.getResults("pixels").map((r) => r.frame),
          Array.from({ length: 10 }, (_, i) => 2 * i + 1),
        );
        const m = inference.metrics().algos.flaky;
        assert.equal(m.errors, errors);
        assert.equal(m.restarts, 0, "a plugin error is not a crash");
        assert.equal(m.disabled, false);
        assert.deepEqual(events, []);
      } finally {
        await inference.dispose();
      }
      jsonl.push(await Deno.readTextFile(out));
    }
    assert.equal(jsonl[0], jsonl[1], "worker and main-thread runs write the same records");
  });
});

Deno.test("offline: a hung run past timeoutMs is an error record; the worker restarts and later runs succeed", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const { inference, events } = withEvents();
    try {
      // runs on frames 1, 3, ..., 19; the one on frame 5 busy-waits 2 s (finite on purpose)
      await inference.loadAlgo(FIXTURE("inf_hang.ts"), {
        name: "hang",
        ...oneFrame(0.2),
        timeoutMs: 300,
        options: { hangAt: [5], hangMs: 2000 },
      });
      const summary = await started(inference, player(clip), { fps: 10 });
      const records = inference.dispatcher.getResults("hang");
      assert.deepEqual(records.map((r) => r.frame), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      for (const r of records) {
        if (r.frame === 5) {
          assert.equal(r.result, undefined);
          assert.match(r.error ?? "", /hang: run timed out after 300 ms/);
        } else {
          assert.equal(r.error, undefined, `frame ${r.frame}: ${r.error}`);
          assert.deepEqual(r.result, { index: r.frame });
        }
      }
      assert.deepEqual(summary.algos.hang, { runs: 10, errors: 1, skipped: 0 });
      const m = inference.metrics().algos.hang;
      assert.ok(m.restarts >= 1, `restarts: ${m.restarts}`);
      assert.equal(m.disabled, false);
      assert.equal(m.errors, 1);
      assert.ok(
        events.some((e) => /^hang: restarting the worker .*timed out after 300 ms/.test(e)),
        `no restart event in ${JSON.stringify(events)}`,
      );
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("offline: a plugin that calls Deno.exit is an error record at once; the worker restarts", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const { inference, events } = withEvents();
    try {
      // runs on frames 1, 3, ..., 19; the one on frame 5 calls Deno.exit(3). timeoutMs is far
      // beyond the liveness bound: only noticing the exit itself lets the run end within it
      await inference.loadAlgo(FIXTURE("hard_exit.ts"), {
        name: "quitter",
        ...oneFrame(0.2),
        timeoutMs: 60_000,
        options: { exitAt: 5 },
      });
      const summary = await within(
        20_000,
        "offline run",
        inference.start(player(clip), { fps: 10, mode: "offline" }),
      );
      const records = inference.dispatcher.getResults("quitter");
      assert.deepEqual(records.map((r) => r.frame), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      for (const r of records) {
        if (r.frame === 5) {
          assert.equal(r.error, "quitter: the worker crashed: the plugin called Deno.exit(3)");
        } else {
          assert.equal(r.error, undefined, `frame ${r.frame}: ${r.error}`);
          assert.deepEqual(r.result, { index: r.frame });
        }
      }
      assert.deepEqual(summary.algos.quitter, { runs: 10, errors: 1, skipped: 0 });
      assert.equal(inference.metrics().algos.quitter.restarts, 1);
      assert.ok(
        events.some((e) => /^quitter: restarting the worker .*Deno\.exit\(3\)/.test(e)),
        `no restart event in ${JSON.stringify(events)}`,
      );
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("a plugin that keeps crashing its worker is disabled with a clear message", async (t) => {
  await withTempDir(async (dir) => {
    const disabledPattern =
      /^crash: disabled after 3 consecutive failures: the worker crashed: .*boom at frame \d+/;

    await t.step(
      "offline: its runs become error records, the rest of the run goes on",
      async () => {
        const clip = await makeTestsrc(`${dir}/offline.mp4`, { seconds: 2 });
        const { inference, events } = withEvents();
        try {
          await inference.loadAlgo(FIXTURE("inf_crash.ts"), {
            name: "crash",
            ...oneFrame(0.2),
          });
          await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
            name: "pixels",
            ...oneFrame(0.2),
          });
          const summary = await started(inference, player(clip), { fps: 10 });
          assert.deepEqual(summary.algos, {
            crash: { runs: 10, errors: 10, skipped: 0 },
            pixels: { runs: 10, errors: 0, skipped: 0 },
          });
          const disabled = events.filter((e) => /disabled/.test(e));
          assert.equal(disabled.length, 1, JSON.stringify(events));
          assert.match(disabled[0], disabledPattern);
          assert.equal(events.filter((e) => /^crash: restarting the worker/.test(e)).length, 2);
          const errors = inference.dispatcher.getResults("crash").map((r) => r.error ?? "");
          assert.match(errors[0], /crash: the worker crashed: .*boom at frame 1\b/);
          assert.match(errors[1], /crash: the worker crashed: .*boom at frame 3\b/);
          // from the third failure on, every run is refused with the message of the event
          for (const error of errors.slice(2)) assert.ok(error.endsWith(disabled[0]), error);
          const m = inference.metrics().algos.crash;
          assert.equal(m.disabled, true);
          assert.equal(m.restarts, 2);
          assert.equal(inference.metrics().algos.pixels.disabled, false);
        } finally {
          await inference.dispose();
        }
      },
    );

    await t.step("realtime: once disabled it is no longer dispatched", async () => {
      const clip = await makeTestsrc(`${dir}/realtime.mp4`, { seconds: 3 });
      const { inference, events } = withEvents();
      try {
        await inference.loadAlgo(FIXTURE("inf_crash.ts"), {
          name: "crash",
          ...oneFrame(0.1),
        });
        await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
          name: "pixels",
          ...oneFrame(0.1),
        });
        const summary = await started(inference, player(clip), { mode: "realtime" });
        const m = inference.metrics().algos.crash;
        assert.equal(m.disabled, true, `not disabled: ${JSON.stringify(events)}`);
        assert.ok(
          events.some((e) => disabledPattern.test(e)),
          `no disabled event in ${JSON.stringify(events)}`,
        );
        // three failing runs, then nothing: no more runs, records or skipped ticks
        assert.equal(m.runs, 3);
        assert.equal(m.errors, 3);
        assert.equal(m.restarts, 2);
        assert.equal(summary.algos.crash.runs, 3);
        assert.equal(inference.dispatcher.getResults("crash").length, 3);
        // ... while the healthy algorithm kept being ticked after that
        const pixels = inference.metrics().algos.pixels;
        assert.ok(pixels.runs > 3, `pixels ran ${pixels.runs} times`);
        assert.equal(pixels.errors, 0);
      } finally {
        await inference.dispose();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Sandbox
// ---------------------------------------------------------------------------------------------

Deno.test("sandbox via Inference: reads are denied unless granted or named in the options", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  await withTempDir(async (dir) => {
    // 1 s at 25 fps, played at 5 fps: runs on frames 1 and 3
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
    const model = `${dir}/model.txt`;
    const secret = `${dir}/secret.txt`;
    await Deno.writeTextFile(model, "weights");
    await Deno.writeTextFile(secret, "password");
    // the path as character codes: not a string in the options, so not granted by them
    const target = [...secret].map((c) => c.charCodeAt(0));
    // files named in the options are granted only under the plugin base (or working) folder
    // (docs/contract.md §2.5): the base is the temp folder, the fixture loads by absolute path
    const events: string[] = [];
    const inference = new Inference(new Dispatcher(), { pluginBase: dir, log: false });
    inference.observe({ onAlgo: (e) => events.push(e.message) });
    const schedule = { frameCount: 1, frameStep: 0, interval: 0.4 };
    try {
      await inference.loadAlgo(`${ROOT}/${FIXTURE("inf_reader.ts")}`, {
        ...schedule,
        name: "denied",
        options: { target },
      });
      await inference.loadAlgo(`${ROOT}/${FIXTURE("inf_reader.ts")}`, {
        ...schedule,
        name: "granted",
        permissions: { read: [secret] },
        options: { target },
      });
      await inference.loadAlgo(`${ROOT}/${FIXTURE("inf_reader.ts")}`, {
        ...schedule,
        name: "model",
        options: { model },
      });
      await inference.loadAlgo(`${ROOT}/${FIXTURE("inf_reader.ts")}`, {
        ...schedule,
        name: "model-and-secret",
        options: { model, target },
      });
      // directories named in the options are never granted, not even "/" or the temp dir
      await inference.loadAlgo(`${ROOT}/${FIXTURE("inf_reader.ts")}`, {
        ...schedule,
        name: "dirs",
        options: { target, root: "/", dir, here: "." },
      });
      await started(inference, player(clip), { fps: 5 });
      const records = (name: string) => {
        const list = inference.dispatcher.getResults(name);
        assert.deepEqual(list.map((r) => r.frame), [1, 3], name);
        return list;
      };
      const denial = /^NotCapable: Requires read access to ".*secret\.txt"/;
      for (const r of records("denied")) {
        assert.equal(r.result, undefined);
        assert.match(r.error ?? "", denial);
      }
      for (const r of records("granted")) {
        assert.deepEqual(r.result, { model: null, target: "password" });
      }
      // a file named in the options may be read (init read it) ...
      for (const r of records("model")) {
        assert.deepEqual(r.result, { model: "weights", target: null });
      }
      // ... but not its neighbour
      for (const name of ["model-and-secret", "dirs"]) {
        for (const r of records(name)) {
          assert.equal(r.result, undefined, name);
          assert.match(r.error ?? "", denial, name);
        }
      }
      const m = inference.metrics().algos;
      for (const name of ["denied", "granted", "model", "model-and-secret", "dirs"]) {
        assert.equal(m[name].restarts, 0, name);
      }
      assert.deepEqual(events, []);
    } finally {
      await inference.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Realtime parallelism
// ---------------------------------------------------------------------------------------------

Deno.test("realtime: two busy worker plugins run in parallel and their busy ticks are skipped", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 3 });
    const inference = new Inference(new Dispatcher(), { pluginBase: ROOT });
    try {
      for (const name of ["busyA", "busyB"]) {
        await inference.loadAlgo(FIXTURE("inf_busy.ts"), {
          name,
          ...oneFrame(0.1),
          options: { ms: 200 },
        });
      }
      const began = performance.now();
      const summary = await started(inference, player(clip), { mode: "realtime" });
      const wall = performance.now() - began;
      type Busy = { ms: number; start: number; end: number };
      const runs = (name: string) => {
        const records = inference.dispatcher.getResults(name);
        assert.ok(records.length > 0, `${name}: no results`);
        for (const r of records) assert.equal(r.error, undefined, `${name}: ${r.error}`);
        return records.map((r) => r.result as Busy);
      };
      const a = runs("busyA");
      const b = runs("busyB");
      const busy = [...a, ...b].reduce((sum, r) => sum + r.ms, 0);
      assert.ok(
        busy > wall,
        `run times ${busy.toFixed(0)} ms should exceed the wall time ${wall.toFixed(0)} ms`,
      );
      assert.ok(
        a.some((x) => b.some((y) => x.start < y.end && y.start < x.end)),
        "no run of busyA overlapped a run of busyB",
      );
      const metrics = inference.metrics();
      for (const [name, results] of [["busyA", a], ["busyB", b]] as const) {
        const m = metrics.algos[name];
        assert.equal(m.runs, results.length);
        assert.equal(summary.algos[name].runs, results.length);
        assert.ok(m.skipped > 0, `${name}: busy ticks were not skipped`);
        assert.ok(m.runMs.p50! >= 200, `${name}: run p50 ${m.runMs.p50} ms, runs spin 200 ms`);
        assert.equal(m.restarts, 0);
      }
    } finally {
      await inference.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Frames reach the worker intact
// ---------------------------------------------------------------------------------------------

for (const mode of ["offline", "realtime"] as const) {
  Deno.test(`${mode}: a worker plugin receives the very pixels of the frames it is given`, async () => {
    await withTempDir(async (dir) => {
      const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
      // checksums of the frames as the main thread saw them, taken in the process hook
      const seen = new Map<number, { checksum: number; time: number }>();
      const inference = new Inference(new Dispatcher(), {
        pluginBase: ROOT,
        process: ({ frame }: { frame: Frame }) => {
          assert.equal(frame.data.byteLength, WIDTH * HEIGHT * 3, "the frame was detached");
          seen.set(frame.index, { checksum: checksum(frame.data), time: frame.time });
        },
      });
      try {
        await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
          name: "one",
          ...oneFrame(0.1),
        });
        await inference.loadAlgo(FIXTURE("inf_pixels.ts"), {
          name: "three",
          frameCount: 3,
          frameStep: 2,
          interval: 0.3,
        });
        await started(inference, player(clip), mode === "offline" ? { fps: 10 } : { mode });
        let compared = 0;
        for (const name of ["one", "three"]) {
          const records = inference.dispatcher.getResults(name);
          assert.ok(records.length > 0, `${name}: no results`);
          for (const r of records) {
            assert.equal(r.error, undefined, `${name}@${r.frame}: ${r.error}`);
            const infos = (r.result as { frames: PixelInfo[] }).frames;
            assert.equal(infos.at(-1)!.index, r.frame);
            for (const f of infos) {
              const main = seen.get(f.index);
              assert.ok(main, `${name}: frame ${f.index} never reached the process hook`);
              assert.equal(f.checksum, main.checksum, `${name}: pixels of frame ${f.index}`);
              assert.equal(f.time, main.time);
              assert.deepEqual(
                [f.width, f.height, f.format, f.bytes],
                [WIDTH, HEIGHT, "bgr24", WIDTH * HEIGHT * 3],
              );
              compared++;
            }
          }
        }
        assert.ok(compared > 0);
        // distinct frames of testsrc2 differ: a stale buffer would have been caught
        assert.ok(new Set([...seen.values()].map((s) => s.checksum)).size > 1);
      } finally {
        await inference.dispose();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Integrity
// ---------------------------------------------------------------------------------------------

Deno.test("loadAlgo enforces an integrity pin on a local plugin", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
    const path = FIXTURE("inf_pixels.ts");
    const right = await sriOf(`${ROOT}/${path}`);
    const wrong = `sha256-${btoa(String.fromCharCode(...new Uint8Array(32)))}`;
    assert.notEqual(right, wrong);
    const inference = new Inference(new Dispatcher(), { pluginBase: ROOT });
    const schedule = { frameCount: 1, frameStep: 0, interval: 0.4 };
    try {
      for (const worker of [true, false]) {
        await assert.rejects(
          inference.loadAlgo(path, {
            ...schedule,
            name: `wrong-${worker}`,
            integrity: wrong,
            worker,
          }),
          (e: unknown) => {
            assert.ok(e instanceof PluginError, `not a PluginError: ${e}`);
            assert.match(
              e.message,
              new RegExp(
                `^integrity mismatch for plugin ${path}: expected ${
                  wrong.replace(/[+/]/g, "\\$&")
                }, got ${right.replace(/[+/]/g, "\\$&")}`,
              ),
            );
            return true;
          },
        );
        await assert.rejects(
          inference.loadAlgo(path, { ...schedule, integrity: "sha256-nope", worker }),
          (e: unknown) => e instanceof PluginError && /invalid integrity/.test(e.message),
        );
      }
      assert.deepEqual(inference.listAlgos(), [], "a refused plugin was loaded anyway");
      for (const worker of [true, false]) {
        await inference.loadAlgo(path, {
          ...schedule,
          name: `right-${worker}`,
          integrity: right,
          worker,
        });
      }
      assert.deepEqual(inference.listAlgos().map((a) => a.name), ["right-true", "right-false"]);
      await started(inference, player(clip), { fps: 5 });
      const a = inference.dispatcher.getResults("right-true");
      const b = inference.dispatcher.getResults("right-false");
      assert.deepEqual(a.map((r) => r.frame), [1, 3]);
      assert.deepEqual(a.map((r) => r.result), b.map((r) => r.result));
    } finally {
      await inference.dispose();
    }
  });
});

Deno.test("offline stop() with a worker plugin: queued runs are cancelled, not waited for", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const inference = new Inference(new Dispatcher(), { pluginBase: ROOT, lookahead: 8 });
    const hooked: number[] = [];
    inference.setProcess(({ frame }) => {
      hooked.push(frame.index);
      if (frame.index === 0) inference.stop();
    });
    try {
      await inference.loadAlgo(FIXTURE("inf_busy.ts"), {
        frameCount: 1,
        frameStep: 0,
        interval: 0.04, // every frame
        name: "busy",
        options: { ms: 100 },
      });
      const summary = await inference.start(player(clip), { mode: "offline" });
      assert.equal(summary.stopped, true);
      const frames = inference.dispatcher.getResults("busy").map((r) => r.frame);
      // frame 0, plus at most the one run already in flight when stop() came
      assert.ok(frames.length <= 2, `records after stop: ${frames}`);
      assert.deepEqual(frames, frames.slice().sort((a, b) => a - b));
      assert.ok(hooked.length <= 2, `hook calls after stop: ${hooked}`);
    } finally {
      await inference.dispose();
    }
  });
});
