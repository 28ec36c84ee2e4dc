/**
 * Recording (issue 10): offline the mp4 has every played frame at the played size and fps,
 * with the annotator's box drawn where the plugin found the square; realtime, stopped by a
 * SIGINT of the CLI, the mp4 is finished and lasts the run's wall time; two sources record two
 * files at once. Everything is checked with ffprobe (-count_frames) and a full decode.
 */
import assert from "node:assert/strict";
import { Annotator } from "../src/draw/annotator.ts";
import type { AlgoRecord } from "../src/record.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { Annotation } from "../src/video/annotation.ts";
import { Recorder } from "../src/video/recorder.ts";
import VideoSquare from "./fixtures/video_square.ts";
import { CliRun, exists } from "./cli_run.ts";
import { FIXTURES, runCli, withTempDir, writeText } from "./helpers.ts";
import { assertNoFfmpegLeft, ffmpegProcesses, waitUntil } from "./live_helpers.ts";
import {
  decodeErrors,
  decodeRgb,
  isRed,
  makeSquareClip,
  outlinePixels,
  pixel,
  probeVideo,
} from "./video_tools.ts";

Deno.test("record offline: every played frame, at the played size and fps, boxes drawn where detected", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/square.mp4`, { seconds: 5, appear: 2 });
    const inference = new Inference(undefined, { log: false });
    // runs on every frame: each frame with the square has a detection
    await inference.loadAlgo(new VideoSquare(), {
      name: "sq",
      frameCount: 1,
      frameStep: 0,
      interval: 1 / clip.fps,
    });
    const found = new Map<number, number[]>();
    inference.observe({
      onRecord(r: AlgoRecord) {
        const d = (r.result as { box: number[] }[])[0];
        if (d) found.set(r.frame, d.box);
      },
    });
    const annotation = new Annotation({ drawer: new Annotator({ overlay: false }) });
    const recorder = new Recorder({ path: `${dir}/{source}.mp4`, annotation });
    inference.observe(recorder);
    const summary = await inference.start(new Player(new FFmpegProducer(), clip.path), {
      mode: "offline",
    });
    await inference.dispose();
    const played = summary.sources.main.frames;
    assert.equal(played, clip.fps * clip.seconds);
    assert.equal(recorder.stats().main.dropped, 0);

    const out = `${dir}/main.mp4`;
    const info = await probeVideo(out);
    assert.deepEqual(
      [info.codec, info.pixFmt, info.width, info.height, info.fps, info.frames],
      ["h264", "yuv420p", clip.width, clip.height, clip.fps, played],
    );
    assert.equal(await decodeErrors(out), "");

    const frames = await decodeRgb(out);
    assert.equal(frames.length, played);
    assert.ok(found.size > 0, "the plugin found the square");
    for (let i = 0; i < frames.length; i++) {
      const box = found.get(i);
      if (box) {
        const [off, total] = outlinePixels(frames[i], box, 0);
        assert.ok(off > total * 0.6, `frame ${i}: box outline drawn (${off}/${total} pixels)`);
      } else {
        assert.ok(i < clip.appear * clip.fps, `frame ${i}: detected from ${clip.appear} s on`);
        const [off] = outlinePixels(frames[i], clip.box, 0);
        assert.equal(off, 0, `frame ${i}: nothing drawn without a detection`);
        const [cx, cy] = [(clip.box[0] + clip.box[2]) >> 1, (clip.box[1] + clip.box[3]) >> 1];
        assert.ok(!isRed(pixel(frames[i], cx, cy)), `frame ${i}: no square yet`);
      }
    }
    await assertNoFfmpegLeft(dir);
  });
});

Deno.test("record: three sources record three files at once (CLI: record with {source}, and a source's own record)", async () => {
  await withTempDir(async (dir) => {
    const a = await makeSquareClip(`${dir}/a.mp4`, {
      seconds: 3,
      fps: 25,
      width: 160,
      height: 120,
    });
    const b = await makeSquareClip(`${dir}/b.mp4`, { seconds: 2, fps: 10, width: 128, height: 96 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `sources:
  - { id: a, url: a.mp4 }
  - { id: b, url: b.mp4, record: own-b.mp4 }
  - { id: c, url: b.mp4 }
algos:
  - { plugin: ${FIXTURES}/video_square.ts, name: sq, interval: 0.5 }
record: out/{source}.mp4
`,
    );
    await Deno.mkdir(`${dir}/out`); // the CLI checks the record folder exists
    const out = await runCli(["run", config, "--out", `${dir}/r.jsonl`]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /record a -> .*\/out\/a\.mp4: \d+ frames written, 0 dropped/);
    // b has a record key of its own, which replaces the top-level one for it
    assert.equal(await exists(`${dir}/out/b.mp4`), false);
    const files = { a: "out/a.mp4", b: "own-b.mp4", c: "out/c.mp4" };
    for (const [id, clip] of [["a", a], ["b", b], ["c", b]] as const) {
      const info = await probeVideo(`${dir}/${files[id]}`);
      assert.deepEqual(
        [info.width, info.height, info.fps, info.frames],
        [clip.width, clip.height, clip.fps, clip.fps * clip.seconds],
        id,
      );
      assert.equal(await decodeErrors(`${dir}/${files[id]}`), "", id);
    }
    await assertNoFfmpegLeft(dir);
  });
});

Deno.test("record: one path for two sources is refused in one line, exit 2", async () => {
  await withTempDir(async (dir) => {
    await makeSquareClip(`${dir}/a.mp4`, { seconds: 1, width: 64, height: 48 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `sources:\n  - { id: a, url: a.mp4 }\n  - { id: b, url: a.mp4 }\nrecord: out.mp4\n`,
    );
    const out = await runCli(["run", config]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, /^stream-infer: record: 2 sources would share .*\{source\}/);
  });
});

for (const to of ["the CLI", "its process group (a terminal's Ctrl-C)"]) {
  Deno.test(`record realtime, SIGINT to ${to}: the mp4 is finished, playable, and lasts the wall time`, async () => {
    await withTempDir(async (dir) => {
      await makeSquareClip(`${dir}/long.mp4`, { seconds: 60, fps: 25, width: 160, height: 120 });
      const config = await writeText(
        `${dir}/p.yaml`,
        `source: long.mp4
mode: realtime
algos:
  - { plugin: ${FIXTURES}/video_square.ts, name: sq, interval: 0.2 }
record: rec.mp4
`,
      );
      const group = to !== "the CLI";
      const cli = new CliRun(["run", config, "--out", `${dir}/r.jsonl`], { newSession: group });
      let wall: number;
      try {
        // the encoder's ffmpeg is started by the first frame: recording starts there (its file
        // appears only once ffmpeg is up, which takes a while on a busy machine)
        await waitUntil(
          30_000,
          "the recording starts",
          async () => (await ffmpegProcesses(`${dir}/rec.mp4`)).length > 0,
        );
        const first = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 4000));
        // the group: ffmpeg gets the signal too and finishes its file by itself
        if (group) Deno.kill(-cli.child.pid, "SIGINT");
        else cli.child.kill("SIGINT");
        wall = (performance.now() - first) / 1000;
        const status = await cli.finish(60_000, "the CLI after SIGINT");
        assert.equal(status.code, 130, cli.stderr);
      } finally {
        await cli.kill();
      }
      assert.match(cli.stderr, /\(stopped\)/);
      const info = await probeVideo(`${dir}/rec.mp4`);
      assert.equal(info.codec, "h264");
      assert.equal(info.fps, 25);
      assert.equal(await decodeErrors(`${dir}/rec.mp4`), "");
      assert.ok(
        Math.abs(info.duration - wall) <= 1,
        `the video lasts ${info.duration} s, the recording ${wall.toFixed(2)} s of wall time`,
      );
      await assertNoFfmpegLeft(dir);
    });
  });
}

Deno.test("record realtime, the CLI killed with SIGKILL: its encoder sees the end of input and finishes the mp4", async () => {
  await withTempDir(async (dir) => {
    await makeSquareClip(`${dir}/long.mp4`, { seconds: 60, fps: 25, width: 160, height: 120 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: long.mp4\nmode: realtime\nrecord: rec.mp4\n`,
    );
    const cli = new CliRun(["run", config]);
    try {
      await waitUntil(
        30_000,
        "the recording starts",
        async () => (await ffmpegProcesses(`${dir}/rec.mp4`)).length > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      await cli.kill(); // SIGKILL: no stop(), no onEnd
    }
    await assertNoFfmpegLeft(dir, 30_000); // the encoder ends by itself
    const info = await probeVideo(`${dir}/rec.mp4`);
    assert.equal(info.codec, "h264");
    assert.ok(info.frames > 0);
    assert.equal(await decodeErrors(`${dir}/rec.mp4`), "");
  });
});
