/**
 * The ring budget (`InferenceOptions.ringBudget`): a schedule whose frame ring would not fit
 * fails its source with a clear error before the frames are kept, so memory stays flat; a
 * schedule within the budget runs as before. Memory bounds here are byte counts, never times.
 */
import assert from "node:assert/strict";
import { BaseAlgo } from "../src/algo/algo.ts";
import { InputError } from "../src/errors.ts";
import type { Frame } from "../src/frame.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import {
  assertNoFfmpeg,
  assertOneLineError,
  makeTestsrc,
  runCli,
  withTempDir,
  writeText,
} from "./helpers.ts";
import { FfmpegServer, liveEndpoint, within } from "./live_helpers.ts";

const MIB = 1024 * 1024;

/** Reports the indices of the frames it got. */
class Indices extends BaseAlgo<unknown, number[]> {
  override readonly name: string = "indices";
  run(frames: Frame[]) {
    return frames.map((f) => f.index);
  }
}

/** The same, under another name: a second algorithm with a small schedule. */
class Small extends Indices {
  override readonly name: string = "small";
}

Deno.test("memory: a schedule over the ring budget fails its file source before decoding", async () => {
  await withTempDir(async (dir) => {
    // 400 frames of 640x360 bgr24 = 276 MB if the ring kept them all (the would-be ring,
    // 1000 frames 10 apart, is 6.4 GiB); tiny frames would fit: loadAlgo accepts it
    const clip = await makeTestsrc(`${dir}/big.mp4`, { width: 640, height: 360, seconds: 16 });
    const inference = new Inference(undefined, { log: false, ringBudget: 16 * MIB });
    try {
      await inference.loadAlgo(new Indices(), { frameCount: 1000, frameStep: 10, interval: 1 });
      await inference.loadAlgo(new Small(), { frameCount: 2, frameStep: 0, interval: 1 });
      const before = Deno.memoryUsage().rss;
      const player = new Player(new FFmpegProducer(), clip);
      const error = await inference.start(player).then(
        () => assert.fail("the run over budget resolved"),
        (e) => e,
      );
      const grown = Deno.memoryUsage().rss - before;
      assert.ok(error instanceof InputError, String(error));
      assert.equal(error.exitCode, 2);
      const message = error.message;
      assert.doesNotMatch(message, /\n/);
      assert.match(message, /^source 'main': /);
      assert.match(message, /'indices' \(frameCount 1000, frameStep 10: span 9991 frames\)/);
      assert.doesNotMatch(message, /'small'/, "only the algorithm over budget is named");
      assert.match(message, /640x360 bgr24/);
      assert.match(message, /691200 bytes/);
      assert.match(message, /ring budget of 16 MiB/);
      assert.match(message, /ringBudget/);
      const source = inference.metrics().sources.main;
      assert.equal(source.state, "failed");
      assert.equal(source.player.framesRead, 0, "no frame was decoded");
      assert.deepEqual(inference.dispatcher.getResults("indices"), []);
      assert.deepEqual(inference.dispatcher.getResults("small"), []);
      assert.ok(grown < 200 * MIB, `rss grew by ${Math.round(grown / MIB)} MiB`);
    } finally {
      await inference.dispose();
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("memory: a live source over the ring budget fails at its first frame", async () => {
  const endpoint = await liveEndpoint("udp");
  const server = FfmpegServer.start(endpoint);
  let frames = 0;
  const inference = new Inference(undefined, {
    log: false,
    ringBudget: 4 * MIB,
    process: () => {
      if (++frames === 30) inference.stop();
    },
  });
  try {
    // span 991 frames of 160x120 bgr24 (57600 bytes): 57 MB; tiny frames would fit
    await inference.loadAlgo(new Indices(), { frameCount: 100, frameStep: 10, interval: 0.2 });
    const player = new Player(new FFmpegProducer(), endpoint.url);
    const run = inference.start(player, { mode: "realtime" });
    const error = await within(30_000, `reading ${endpoint.url}`, run).then(
      () => assert.fail("the live run over budget resolved"),
      (e) => e,
    );
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, /^source 'main': /);
    assert.match(error.message, /'indices' \(frameCount 100, frameStep 10: span 991 frames\)/);
    // realtime keeps span + 1 frames
    assert.match(error.message, /needs 992 160x120 bgr24 frames of 57600 bytes/);
    assert.match(error.message, /ring budget of 4 MiB/);
    assert.equal(frames, 0, "no frame was handed on");
  } finally {
    inference.stop();
    await inference.dispose();
    await server.stop();
  }
  await assertNoFfmpeg(endpoint.url);
});

Deno.test("memory: a schedule within the ring budget runs normally, to the byte", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/small.mp4`); // 160x120, 25 fps, 2 s
    // span 5 + lookahead 8 + 1 = 14 frames of 57600 bytes (+ 256 counted per frame)
    const exact = 14 * (160 * 120 * 3 + 256);
    for (const ringBudget of [exact, exact - 1]) {
      const inference = new Inference(undefined, { log: false, ringBudget });
      try {
        await inference.loadAlgo(new Indices(), { frameCount: 3, frameStep: 2, interval: 1 });
        const run = inference.start(new Player(new FFmpegProducer(), clip));
        if (ringBudget === exact - 1) {
          await assert.rejects(run, /needs 14 160x120 bgr24 frames of 57600 bytes/);
          continue;
        }
        const summary = await run;
        assert.equal(summary.sources.main.state, "ended");
        assert.deepEqual(
          inference.dispatcher.getResults("indices").map((r) => r.result),
          [[20, 22, 24], [45, 47, 49]],
        );
      } finally {
        await inference.dispose();
      }
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("memory: loadAlgo refuses a span that cannot fit even in the smallest frames", async () => {
  const inference = new Inference(undefined, { log: false });
  try {
    await assert.rejects(
      inference.loadAlgo(new Indices(), { frameCount: 100000, frameStep: 100, interval: 1 }),
      (e: Error) => {
        assert.ok(e instanceof InputError, String(e));
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, /'indices' \(frameCount 100000, frameStep 100: span 9999901/);
        assert.match(e.message, /ring budget of 512 MiB/);
        return true;
      },
    );
    assert.deepEqual(inference.listAlgos(), []);
    for (const ringBudget of [0, -1, 1.5, NaN]) {
      assert.throws(() => new Inference(undefined, { ringBudget }), /ringBudget must be/);
    }
  } finally {
    await inference.dispose();
  }
});

Deno.test("memory: the CLI exits 2 with one line when the only source is over the default budget", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { width: 640, height: 360, seconds: 1 });
    // span 9991 frames of 640x360 bgr24: 6.4 GiB, over the default 512 MiB
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ${clip}
algos:
  - plugin: ${new URL("../plugins/motion.ts", import.meta.url).pathname}
    name: wide
    frameCount: 1000
    frameStep: 10
    interval: 1
`,
    );
    const out = await runCli(["run", config]);
    assert.equal(out.code, 2, out.stderr);
    const line = assertOneLineError(out);
    assert.match(line, /'wide' \(frameCount 1000, frameStep 10/);
    assert.match(line, /ring budget of 512 MiB/);
    await assertNoFfmpeg(dir);
  });
});
