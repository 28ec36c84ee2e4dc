/**
 * Snapshots and event clips (issue 10) on a generated clip where a red square shows from 3 s
 * to 4 s, found by a test plugin: the clip starts at least `pre` s before the square and ends
 * at least `post` s after the last match (within one GOP, one second), decodes, and was joined
 * by stream copy; the snapshot JPEG shows the box; both are announced as records that reach
 * the sinks.
 */
import assert from "node:assert/strict";
import type { AlgoRecord } from "../src/record.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { attachVideo } from "../src/video/config.ts";
import VideoSquare from "./fixtures/video_square.ts";
import { FIXTURES, runCli, withTempDir, writeText } from "./helpers.ts";
import { assertNoFfmpegLeft, readRecords } from "./live_helpers.ts";
import {
  decodeErrors,
  decodeRgb,
  isRed,
  makeSquareClip,
  outlinePixels,
  pixel,
  probeVideo,
  type SquareClip,
} from "./video_tools.ts";

const PRE = 1.5;
const POST = 1.5;
const INTERVAL = 0.2;

/** Indices of the clip's frames that show the red square. */
async function redFrames(path: string, clip: SquareClip): Promise<number[]> {
  const cx = (clip.box[0] + clip.box[2]) >> 1, cy = (clip.box[1] + clip.box[3]) >> 1;
  const frames = await decodeRgb(path);
  return frames.flatMap((f, i) => isRed(pixel(f, cx, cy)) ? [i] : []);
}

/** Checks a written clip against the square's appearance (frame counts at `clip.fps`). */
async function checkClip(path: string, clip: SquareClip): Promise<void> {
  assert.equal(await decodeErrors(path), "", "the clip decodes");
  const info = await probeVideo(path);
  assert.equal(info.codec, "h264");
  const red = await redFrames(path, clip);
  assert.ok(red.length > 0, "the clip shows the square");
  const first = red[0] / clip.fps;
  const after = (info.frames - 1 - red[red.length - 1]) / clip.fps;
  const frame = 1 / clip.fps;
  // starts at least PRE s before the square, at most one GOP (1 s) earlier than that
  assert.ok(first >= PRE - frame && first <= PRE + 1 + frame, `square at ${first} s into the clip`);
  // ends at least POST s after the last match (which is within INTERVAL of the square's end)
  assert.ok(
    after >= POST - INTERVAL - frame && after <= POST + 1 + frame,
    `the clip goes on ${after} s after the square`,
  );
}

Deno.test("clips and snapshots: pre/post around the match, stream copy, the box in the JPEG", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/square.mp4`, { seconds: 9, appear: 3, disappear: 4 });
    const inference = new Inference(undefined, { log: false });
    await inference.loadAlgo(new VideoSquare(), {
      name: "sq",
      frameCount: 1,
      frameStep: 0,
      interval: INTERVAL,
    });
    const announced: AlgoRecord[] = [];
    inference.dispatcher.addSink({
      write: (r) => void (r.algo !== "sq" && announced.push(r)),
      close() {},
    });
    const when = { algo: "sq", class: "square" };
    const video = attachVideo(inference, {
      clips: { when, pre: PRE, post: POST, dir: `${dir}/clips` },
      snapshot: { when, dir: `${dir}/snaps`, cooldown: 60 },
    })!;
    await inference.start(new Player(new FFmpegProducer(), clip.path), { mode: "offline" });
    await inference.dispose();

    const made = video.clips!.made;
    assert.equal(made.length, 1, JSON.stringify(made.map((m) => m.path)));
    await checkClip(made[0].path, clip);
    assert.match(made[0].log, /Stream #0:0 -> #0:0 \(copy\)/, "joined by stream copy");
    assert.doesNotMatch(made[0].log, /libx264|\(h264 \(native\) -> h264/, "no re-encode");

    const clipRecord = announced.find((r) => r.algo === "clips");
    assert.ok(clipRecord, `a clips record reaches the sinks: ${JSON.stringify(announced)}`);
    const result = clipRecord.result as { event: string; path: string; start: number; end: number };
    assert.equal(result.event, "clip");
    assert.equal(result.path, made[0].path);
    assert.ok(
      result.start <= clip.appear - PRE + 1e-6 && result.end >= clip.disappear,
      JSON.stringify(result),
    );

    const snaps = video.snapshots!.written;
    assert.equal(snaps.length, 1, "one snapshot (cooldown 60 s)");
    const [jpeg] = await decodeRgb(snaps[0]);
    const [off, total] = outlinePixels(jpeg, clip.box, 0);
    assert.ok(off > total * 0.5, `the box is drawn in the snapshot (${off}/${total} pixels)`);
    assert.ok(announced.some((r) => r.algo === "snapshots"), "the snapshot is announced");
    await assertNoFfmpegLeft(dir);
  });
});

Deno.test("clips in realtime via the CLI: the clip is written and its record reaches --out", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/square.mp4`, {
      seconds: 8,
      appear: 3,
      disappear: 4,
      width: 160,
      height: 120,
    });
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: square.mp4
mode: realtime
algos:
  - { plugin: ${FIXTURES}/video_square.ts, name: sq, interval: ${INTERVAL} }
clips: { when: { algo: sq, class: square }, pre: ${PRE}, post: ${POST}, dir: clips }
snapshot: { when: { algo: sq }, dir: snaps }
`,
    );
    const out = await runCli(["run", config, "--out", `${dir}/r.jsonl`]);
    assert.equal(out.code, 0, out.stderr);
    const records = await readRecords(`${dir}/r.jsonl`);
    const clips = records.filter((r) => r.algo === "clips");
    assert.equal(clips.length, 1, JSON.stringify(clips));
    const result = clips[0].result as { event: string; path: string };
    assert.equal(result.event, "clip");
    assert.equal(result.path, `${dir}/clips/main-${String(clips[0].frame).padStart(6, "0")}.mp4`);
    await checkClip(result.path, clip);
    assert.equal(records.filter((r) => r.algo === "snapshots").length, 1);
    await assertNoFfmpegLeft(dir);
  });
});
