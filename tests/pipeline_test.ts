/**
 * The library pipeline end to end: Inference + Player + Dispatcher + sinks on real ffmpeg.
 * Determinism, errors as records, the collect() extension point, hooks, stop and validation.
 */
import assert from "node:assert/strict";
import {
  type AlgoRecord,
  BaseAlgo,
  Dispatcher,
  FFmpegProducer,
  type Frame,
  Inference,
  InputError,
  JsonlSink,
  Player,
} from "../mod.ts";
import {
  assertNoFfmpeg,
  frameNumber,
  makeNumberedClip,
  makeTestsrc,
  ROOT,
  withTempDir,
} from "./helpers.ts";

const RECORD_KEYS = ["source", "algo", "frame", "time", "position", "result"];
const ERROR_KEYS = ["source", "algo", "frame", "time", "position", "error"];

function player(source: string, options: ConstructorParameters<typeof FFmpegProducer>[0] = {}) {
  return new Player(new FFmpegProducer(options), source);
}

async function runMotion(clip: string, out: string): Promise<void> {
  const dispatcher = new Dispatcher();
  dispatcher.addSink(await JsonlSink.open(out));
  const inference = new Inference(dispatcher, { pluginBase: ROOT });
  await inference.loadAlgo("./plugins/motion.ts", {
    frameCount: 1,
    frameStep: 0,
    interval: 0.2,
    name: "motion",
    options: { width: 80, threshold: 20, minArea: 2 },
  });
  await inference.loadAlgo("plugins/motion.ts", {
    frameCount: 2,
    frameStep: 3,
    interval: 0.5,
    name: "motion2",
  });
  try {
    await inference.start(player(clip, { width: 160, height: 120 }), { fps: 10, mode: "offline" });
  } finally {
    await inference.dispose();
  }
}

Deno.test("determinism: two runs of the motion plugin write byte-identical JSONL", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/src.mp4`, { width: 320, height: 240, seconds: 3 });
    await runMotion(clip, `${dir}/a.jsonl`);
    await runMotion(clip, `${dir}/b.jsonl`);
    const a = await Deno.readFile(`${dir}/a.jsonl`);
    const b = await Deno.readFile(`${dir}/b.jsonl`);
    assert.ok(a.length > 0);
    assert.deepEqual(a, b);
    const lines = new TextDecoder().decode(a).trimEnd().split("\n").map((l) => JSON.parse(l));
    // 3 s at 10 fps: motion every 2 frames (15 runs), motion2 every 5 frames (6 runs)
    assert.equal(lines.filter((r) => r.algo === "motion").length, 15);
    assert.equal(lines.filter((r) => r.algo === "motion2").length, 6);
    for (const r of lines) {
      assert.deepEqual(Object.keys(r), RECORD_KEYS);
      assert.equal(r.position, Math.floor(r.time));
      assert.equal(typeof r.result.score, "number");
    }
    // testsrc2 moves: some run must see motion
    assert.ok(lines.some((r) => r.result.score > 0), "motion was detected somewhere");
    // no temporary output left behind
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["a.jsonl", "b.jsonl", "src.mp4"],
    );
    await assertNoFfmpeg(dir);
  });
});

/** Throws on every other run; results are the newest frame's number. */
class Flaky {
  readonly name = "flaky";
  calls = 0;
  run(frames: Frame[]) {
    this.calls++;
    const n = frameNumber(frames[frames.length - 1]);
    if (this.calls % 2 === 0) throw new RangeError(`bad frame ${n}`);
    if (this.calls % 5 === 0) throw `a string at ${n}`; // non-Error throws are records too
    return { n };
  }
}

Deno.test("errors are records: a throwing run gives an error record and the run continues", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeNumberedClip(`${dir}/n.mkv`, { seconds: 4 });
    const out = `${dir}/out.jsonl`;
    const dispatcher = new Dispatcher();
    dispatcher.addSink(await JsonlSink.open(out));
    const inference = new Inference(dispatcher);
    const flaky = new Flaky();
    await inference.loadAlgo(flaky, { frameCount: 1, frameStep: 0, interval: 0.2 });
    const summary = await inference.start(player(clip, { format: "gray" }), {});
    await inference.dispose();

    // 100 frames, every 5th: 20 runs, all of them happened
    assert.equal(flaky.calls, 20);
    const records = dispatcher.getResults("flaky");
    assert.equal(records.length, 20);
    assert.deepEqual(records.map((r) => r.frame), Array.from({ length: 20 }, (_, i) => 5 * i + 4));
    const errors = records.filter((r) => r.error !== undefined);
    assert.equal(errors.length, 10 + 2); // calls 2,4,...,20 and 5,15
    assert.deepEqual(summary.algos.flaky, { runs: 20, errors: 12, skipped: 0 });
    for (const [i, r] of records.entries()) {
      const n = 5 * i + 4;
      const call = i + 1;
      if (call % 2 === 0) assert.deepEqual(r.error, `RangeError: bad frame ${n}`);
      else if (call % 5 === 0) assert.deepEqual(r.error, `a string at ${n}`);
      else assert.deepEqual(r.result, { n });
      if (r.error !== undefined) assert.ok(!("result" in r), "an error record has no result");
    }

    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 20);
    for (const [i, line] of lines.entries()) {
      assert.deepEqual(
        Object.keys(line),
        records[i].error === undefined ? RECORD_KEYS : ERROR_KEYS,
      );
      assert.equal(line.frame, records[i].frame);
      assert.equal(line.time, records[i].time);
      assert.equal(line.position, Math.floor(line.time));
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("a Dispatcher subclass overriding collect() sees every record; getLastResult", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeNumberedClip(`${dir}/n.mkv`, { seconds: 4 });

    class Forwarding extends Dispatcher {
      seen: AlgoRecord[] = [];
      override collect(record: AlgoRecord): void {
        this.seen.push(structuredClone(record));
        super.collect(record);
      }
    }
    class Swallowing extends Dispatcher {
      seen: AlgoRecord[] = [];
      override collect(record: AlgoRecord): void {
        this.seen.push(record); // does not call super: nothing is stored
      }
    }

    // "last" fails on its final run, so its newest success is the one before
    class FailsLast {
      readonly name = "last";
      run(frames: Frame[]) {
        const n = frameNumber(frames[0]);
        if (n === 99) throw new Error("the end");
        return n;
      }
    }
    class Pairs extends BaseAlgo<unknown, number[]> {
      run(frames: Frame[]) {
        return frames.map(frameNumber);
      }
    }

    for (const Kind of [Forwarding, Swallowing]) {
      const dispatcher = new Kind();
      const inference = new Inference(dispatcher);
      await inference.loadAlgo(new FailsLast(), { frameCount: 1, frameStep: 0, interval: 1 });
      await inference.loadAlgo(new Pairs(), { frameCount: 2, frameStep: 5, interval: 0.4 });
      await inference.start(player(clip, { format: "gray" }), { fps: 25 });
      await inference.dispose();

      const last = dispatcher.seen.filter((r) => r.algo === "last");
      const pairs = dispatcher.seen.filter((r) => r.algo === "Pairs");
      assert.deepEqual(last.map((r) => r.frame), [24, 49, 74, 99]);
      assert.deepEqual(last.map((r) => r.result), [24, 49, 74, undefined]);
      assert.equal(last[3].error, "the end");
      assert.deepEqual(pairs.map((r) => r.frame), [9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
      assert.deepEqual(pairs.map((r) => r.result), pairs.map((r) => [r.frame - 5, r.frame]));
      // collect() saw records in order of play
      const frames = dispatcher.seen.map((r) => r.frame);
      assert.deepEqual(frames, [...frames].sort((a, b) => a - b));

      if (Kind === Forwarding) {
        assert.deepEqual(dispatcher.getResults("last"), last);
        assert.deepEqual(dispatcher.getResults("Pairs"), pairs);
        assert.equal(dispatcher.getLastResult("last"), 74, "newest success, not the error");
        assert.deepEqual(dispatcher.getLastResult("Pairs"), [94, 99]);
        assert.equal(dispatcher.getLastResult("nobody"), undefined);
      } else {
        assert.deepEqual(dispatcher.getResults("last"), []);
        assert.equal(dispatcher.getLastResult("last"), undefined);
      }
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("process hook: sees the records of the frame; its replacement goes to listeners", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeNumberedClip(`${dir}/n.mkv`, { seconds: 2 });
    const inference = new Inference();
    await inference.loadAlgo({ name: "n", run: (f: Frame[]) => frameNumber(f[0]) }, {
      frameCount: 1,
      frameStep: 0,
      interval: 0.4,
    });
    const ran: [number, string[]][] = [];
    const listened: [number, number, number][] = [];
    inference.setProcess(({ frame, ran: records, dispatcher }) => {
      if (records.length) {
        ran.push([frame.index, records.map((r) => r.algo)]);
        assert.equal(dispatcher.getLastResult("n"), frameNumber(frame));
      }
      if (frame.index % 2 === 0) {
        return { ...frame, data: new Uint8Array([7]), width: 1, height: 1 };
      }
    });
    inference.observe({
      everyFrame: true,
      onFrame: (frame) => {
        listened.push([frame.index, frame.width, frame.width === 1 ? frame.data[0] : -1]);
      },
    });
    const summary = await inference.start(player(clip, { format: "gray" }), {});
    await inference.dispose();
    assert.equal(summary.frames, 50);
    assert.deepEqual(ran, [9, 19, 29, 39, 49].map((k) => [k, ["n"]]));
    assert.deepEqual(
      listened,
      Array.from({ length: 50 }, (_, k) => k % 2 === 0 ? [k, 1, 7] : [k, 64, -1]),
    );
    await assertNoFfmpeg(dir);
  });
});

Deno.test("stop() ends the run after the current frame, with no ffmpeg left", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/long.mp4`, { seconds: 20, width: 64, height: 48 });
    const inference = new Inference();
    await inference.loadAlgo({ name: "idx", run: (f: Frame[]) => f[0].index }, {
      frameCount: 1,
      frameStep: 0,
      interval: 0.04,
    });
    inference.observe({
      everyFrame: true,
      onFrame: (frame) => {
        if (frame.index === 9) inference.stop();
      },
    });
    const summary = await inference.start(player(clip), { fps: 25 });
    await inference.dispose();
    assert.equal(summary.stopped, true);
    // stop() during frame 9: no later frame may be played or run on
    assert.equal(summary.frames, 10, "frames processed after stop()");
    assert.deepEqual(
      inference.dispatcher.getResults("idx").map((r) => r.result),
      Array.from({ length: 10 }, (_, i) => i),
    );
    await assertNoFfmpeg(dir);
  });
});

Deno.test("loadAlgo: schedule validation, names, listAlgos, init and dispose", async () => {
  const calls: string[] = [];
  class Tracked extends BaseAlgo<{ k: number }, number> {
    override init(options: { k: number }) {
      calls.push(`init ${JSON.stringify(options)}`);
    }
    run() {
      calls.push("run");
      return 1;
    }
    override dispose() {
      calls.push("dispose");
    }
  }
  const inference = new Inference();
  const bad = [
    { frameCount: 0, frameStep: 0, interval: 1 },
    { frameCount: 1.5, frameStep: 0, interval: 1 },
    { frameCount: 1, frameStep: -1, interval: 1 },
    { frameCount: 1, frameStep: 0, interval: 0 },
    { frameCount: 1, frameStep: 0, interval: -2 },
  ];
  for (const options of bad) {
    await assert.rejects(() => inference.loadAlgo(new Tracked(), options), InputError);
  }
  assert.equal(calls.length, 0, "a rejected schedule does not init the algorithm");
  await inference.loadAlgo(new Tracked(), {
    frameCount: 2,
    frameStep: 3,
    interval: 0.5,
    options: { k: 1 },
  });
  await assert.rejects(
    () => inference.loadAlgo(new Tracked(), { frameCount: 1, frameStep: 0, interval: 1 }),
    (e: Error) => e instanceof InputError && /Tracked/.test(e.message),
  );
  // the rejected duplicate is not initialised (it may be disposed)
  assert.deepEqual(calls.filter((c) => c.startsWith("init")), ['init {"k":1}']);
  calls.length = 0;
  await inference.loadAlgo(new Tracked("other"), { frameCount: 1, frameStep: 0, interval: 1 });
  await inference.loadAlgo(new Tracked(), {
    frameCount: 1,
    frameStep: 0,
    interval: 2,
    name: "renamed",
  });
  assert.deepEqual(inference.listAlgos(), [
    { name: "Tracked", frameCount: 2, frameStep: 3, interval: 0.5 },
    { name: "other", frameCount: 1, frameStep: 0, interval: 1 },
    { name: "renamed", frameCount: 1, frameStep: 0, interval: 2 },
  ]);
  assert.deepEqual(calls, ["init undefined", "init undefined"]);
  calls.length = 0;
  await inference.dispose();
  assert.deepEqual(calls, ["dispose", "dispose", "dispose"]);
  await inference.dispose();
  assert.deepEqual(calls, ["dispose", "dispose", "dispose"], "dispose runs once per algorithm");
  assert.deepEqual(inference.listAlgos(), []);
});

Deno.test("start: bad fps and position are input errors, before any ffmpeg runs", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/c.mp4`, { seconds: 1, width: 64, height: 48 });
    for (const options of [{ fps: 0 }, { fps: -5 }, { position: -1 }, { position: 3 }]) {
      const inference = new Inference();
      await assert.rejects(() => inference.start(player(clip), options), InputError);
    }
    await assertNoFfmpeg(dir);
  });
});
