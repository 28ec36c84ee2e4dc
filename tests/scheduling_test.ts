/**
 * Frame-exact scheduling (docs/contract.md §3), end to end through real ffmpeg: every frame of the
 * test clip carries its source frame number in its pixels, and an algorithm reports the
 * numbers it was given. The expected (frame index, source frames seen) lists are computed from
 * scratch here, never with the library's own scheduling helpers.
 */
import assert from "node:assert/strict";
import {
  FFmpegProducer,
  type Frame,
  Inference,
  PIXEL_FORMATS,
  type PixelFormat,
  Player,
  Schedule,
} from "../mod.ts";
import { frameIndices, framesWanted } from "../src/schedule/schedule.ts";
import { keepsSourceFrame } from "../src/source/sampling.ts";
import {
  assertNoFfmpeg,
  expectedPlayedFrames,
  frameNumber,
  makeNumberedClip,
  withTempDir,
} from "./helpers.ts";

const SRC_FPS = 25;
const SECONDS = 6;
const TOTAL = SRC_FPS * SECONDS; // 150 source frames, numbered 0..149
/** Every table runs in every pixel format the producer has (the frame number is in the luma). */
const FORMATS: readonly PixelFormat[] = PIXEL_FORMATS;

/** One row of the table: a schedule, a requested fps and a start position. */
interface Row {
  frameCount: number;
  frameStep: number;
  interval: number;
  fps?: number;
  position: number;
}

const ROWS: Row[] = [
  // source fps (no request), once a second
  { frameCount: 1, frameStep: 0, interval: 1, position: 0 },
  // interval below 1 s, every 5th frame
  { frameCount: 1, frameStep: 0, interval: 0.2, fps: 25, position: 0 },
  // consecutive frames, step 0
  { frameCount: 3, frameStep: 0, interval: 0.5, fps: 25, position: 0 },
  // step 1 (same as 0), down-sampled 25 -> 10 (non-integer ratio 2.5)
  { frameCount: 3, frameStep: 1, interval: 0.5, fps: 10, position: 0 },
  // step > 1 at the source's rate: span 16
  { frameCount: 4, frameStep: 5, interval: 1, fps: 25, position: 0 },
  // 25 -> 7 (ratio 3.571...), step 3, interval above 1 s
  { frameCount: 2, frameStep: 3, interval: 2, fps: 7, position: 0 },
  // 25 -> 7 from a fractional position (1.3 s -> source frame 33), n = round(2.1) = 2
  { frameCount: 5, frameStep: 2, interval: 0.3, fps: 7, position: 1.3 },
  // fps above the source's: every frame, effective fps 25, runs every frame
  { frameCount: 1, frameStep: 0, interval: 0.04, fps: 30, position: 0 },
  // fps above the source's, seek to 2 s, interval 1.5 s
  { frameCount: 2, frameStep: 4, interval: 1.5, fps: 50, position: 2 },
  // 25 -> 10 from 1 s, step 2, n = 7
  { frameCount: 3, frameStep: 2, interval: 0.7, fps: 10, position: 1 },
  // 25 -> 12.5 (ratio 2), n = round(1.25) = 1: runs on every played frame once enough frames
  { frameCount: 2, frameStep: 0, interval: 0.1, fps: 12.5, position: 0 },
  // a wide look-back: span 51, from 0.5 s (source frame 13 first)
  { frameCount: 6, frameStep: 10, interval: 0.6, fps: 25, position: 0.5 },
  // 25 -> 3 (ratio 8.33), interval 1 s, position 0.75 s (frame 19 -- between frames)
  { frameCount: 2, frameStep: 2, interval: 1, fps: 3, position: 0.75 },
  // interval * fps rounds to 0: n = max(1, 0) = 1, every frame of the last second
  { frameCount: 1, frameStep: 0, interval: 0.01, fps: 10, position: 5 },
  // the span is longer than the whole clip: never enough frames, so never runs
  { frameCount: 20, frameStep: 8, interval: 0.2, fps: 25, position: 0 },
];

/** The algorithm under test: reports what it was given. */
class SeenFrames {
  constructor(readonly name: string) {}
  run(frames: Frame[]) {
    return {
      indices: frames.map((f) => f.index),
      seen: frames.map(frameNumber),
      // time must be the presentation time of the frame: its number over the source's fps
      times: frames.map((f) => Math.round(f.time * SRC_FPS)),
    };
  }
}

interface Expected {
  frame: number;
  position: number;
  time: number;
  result: { indices: number[]; seen: number[]; times: number[] };
}

/** The runs a schedule makes over the played source frames, written down from §3. */
function expectedRuns(
  played: number[],
  effectiveFps: number,
  { frameCount, frameStep, interval }: Row,
): Expected[] {
  const every = Math.max(1, Math.round(interval * effectiveFps));
  const step = Math.max(frameStep, 1);
  const span = (frameCount - 1) * step + 1;
  const runs: Expected[] = [];
  for (let k = 0; k < played.length; k++) {
    if ((k + 1) % every !== 0) continue;
    if (k + 1 < span) continue; // not enough frames yet: skipped
    const indices: number[] = [];
    for (let i = frameCount - 1; i >= 0; i--) indices.push(k - i * step);
    const seen = indices.map((i) => played[i]);
    runs.push({
      frame: k,
      position: Math.floor(played[k] / SRC_FPS),
      time: played[k] / SRC_FPS,
      result: { indices, seen, times: seen },
    });
  }
  return runs;
}

function effective(fps: number | undefined): number {
  return fps !== undefined && fps < SRC_FPS ? fps : SRC_FPS;
}

/** Records in a comparable shape: time as a source frame number. */
function comparable(records: { frame: number; time: number; position: number }[]) {
  return records.map((r) => ({ ...r, time: Math.round(r.time * SRC_FPS) }));
}

interface RowRun {
  records: ReturnType<typeof comparable>;
  raw: { algo: string; frame: number; time: number; position: number; error?: string }[];
  frames: number;
  fps: number;
  playedSeen: [number, number][];
}

async function runRow(
  clip: string,
  row: Row,
  how: "skipping" | "hook" | "listener",
  format: PixelFormat = "gray",
): Promise<RowRun> {
  const inference = new Inference();
  await inference.loadAlgo(new SeenFrames("seen"), {
    frameCount: row.frameCount,
    frameStep: row.frameStep,
    interval: row.interval,
  });
  const playedSeen: [number, number][] = [];
  if (how === "hook") {
    inference.setProcess(({ frame }) => {
      playedSeen.push([frame.index, frameNumber(frame)]);
    });
  } else if (how === "listener") {
    inference.observe({
      everyFrame: true,
      onFrame: (frame) => {
        playedSeen.push([frame.index, frameNumber(frame)]);
      },
    });
  }
  const player = new Player(new FFmpegProducer({ format }), clip);
  try {
    const summary = await inference.start(player, {
      fps: row.fps,
      position: row.position,
      mode: "offline",
    });
    const raw = inference.dispatcher.getResults("seen");
    return {
      records: comparable(raw.map(({ frame, time, position, result }) => ({
        frame,
        time,
        position,
        result,
      }))),
      raw,
      frames: summary.frames,
      fps: summary.fps,
      playedSeen,
    };
  } finally {
    await inference.dispose();
  }
}

function label(row: Row): string {
  return `frameCount ${row.frameCount}, frameStep ${row.frameStep}, interval ${row.interval}, ` +
    `fps ${row.fps ?? "source"}, position ${row.position}`;
}

Deno.test("the expected down-sampling is ceil(k * srcFps / fps) (self-check of the test)", () => {
  // The accumulator as the original wrote it, with a float slack (without it, 25/7 summed in
  // binary drifts past whole numbers and keeps the wrong frame); checked against exact
  // integer arithmetic, and the library's predicate against both.
  for (const fps of [24, 20, 12, 11, 10, 9, 7, 5, 3, 1]) {
    const played = expectedPlayedFrames(1000, SRC_FPS, fps, 0);
    const exact: number[] = [];
    for (let k = 0;; k++) {
      const j = Math.floor((k * SRC_FPS + fps - 1) / fps); // ceil(k * 25 / fps)
      if (j >= 1000) break;
      exact.push(j);
    }
    assert.deepEqual(played, exact, `fps ${fps}`);
    const kept = [];
    for (let j = 0; j < 1000; j++) if (keepsSourceFrame(j, fps / SRC_FPS)) kept.push(j);
    assert.deepEqual(kept, exact, `keepsSourceFrame at fps ${fps}`);
  }
});

Deno.test("frameIndices: newest frame and every step-th before it, oldest first", () => {
  for (const [count, step] of [[1, 0], [3, 0], [3, 1], [4, 5], [2, 12]]) {
    const s = Math.max(step, 1);
    for (let newest = 0; newest < 40; newest++) {
      const oldest = newest - (count - 1) * s;
      const want = oldest < 0 ? undefined : Array.from({ length: count }, (_, i) => oldest + i * s);
      assert.deepEqual(frameIndices(newest, count, step), want, `${count}/${step} @${newest}`);
    }
  }
});

Deno.test("Schedule: offline due frames, and framesWanted covers every frame a run reads", () => {
  const schedules = [
    new Schedule({ frameCount: 1, frameStep: 0, interval: 1 }),
    new Schedule({ frameCount: 3, frameStep: 4, interval: 2 }),
    new Schedule({ frameCount: 2, frameStep: 0, interval: 0.6 }),
  ];
  const fps = 25;
  const read = new Set<number>();
  for (const s of schedules) {
    const every = Math.max(1, Math.round(s.interval * fps));
    const step = Math.max(s.frameStep, 1);
    const span = (s.frameCount - 1) * step + 1;
    for (let k = 0; k < 200; k++) {
      const due = (k + 1) % every === 0 && k + 1 >= span;
      assert.equal(s.dueAtFrame(k, fps), due, `${s.frameCount}/${s.frameStep} @${k}`);
      if (due) { for (let i = 0; i < s.frameCount; i++) read.add(k - i * step); }
    }
  }
  const filter = framesWanted(schedules, fps);
  assert.ok(filter, "a sparse schedule gets a frame filter");
  for (let k = 0; k < 190; k++) assert.equal(filter.test(k), read.has(k), `frame ${k}`);
});

Deno.test("frame-exact scheduling over a table of schedules, fps and positions", async (t) => {
  await withTempDir(async (dir) => {
    const clip = await makeNumberedClip(`${dir}/numbers.mkv`, {
      fps: SRC_FPS,
      seconds: SECONDS,
    });
    for (const row of ROWS) {
      await t.step(label(row), async () => {
        const played = expectedPlayedFrames(TOTAL, SRC_FPS, row.fps, row.position);
        const want = comparable(expectedRuns(played, effective(row.fps), row));
        for (const format of FORMATS) {
          const skipping = await runRow(clip, row, "skipping", format);
          assert.equal(skipping.fps, effective(row.fps));
          assert.deepEqual(skipping.records, want, format);
          assert.ok(skipping.frames <= played.length);
          assert.ok(skipping.raw.every((r) => r.algo === "seen" && r.error === undefined));

          // With a process hook every played frame is decoded: the same records, and the hook
          // sees every played frame, index k carrying source frame played[k].
          const hooked = await runRow(clip, row, "hook", format);
          assert.deepEqual(hooked.records, skipping.records, `${format}: same records with a hook`);
          assert.equal(hooked.frames, played.length);
          assert.deepEqual(hooked.playedSeen, played.map((j, k) => [k, j]), format);
        }
      });
    }

    await t.step("a frame listener also sees every played frame, same records", async () => {
      const row = ROWS[6];
      const played = expectedPlayedFrames(TOTAL, SRC_FPS, row.fps, row.position);
      for (const format of FORMATS) {
        const run = await runRow(clip, row, "listener", format);
        assert.deepEqual(
          run.records,
          comparable(expectedRuns(played, effective(row.fps), row)),
          format,
        );
        assert.deepEqual(run.playedSeen, played.map((j, k) => [k, j]), format);
      }
    });

    await t.step("several algorithms at once share one ring and one frame filter", async () => {
      const rows: Row[] = [
        { frameCount: 1, frameStep: 0, interval: 1, fps: 10, position: 0.4 },
        { frameCount: 3, frameStep: 4, interval: 1.3, fps: 10, position: 0.4 },
        { frameCount: 2, frameStep: 0, interval: 0.5, fps: 10, position: 0.4 },
        { frameCount: 5, frameStep: 7, interval: 3, fps: 10, position: 0.4 },
      ];
      const played = expectedPlayedFrames(TOTAL, SRC_FPS, 10, 0.4);
      for (const [withHook, format] of FORMATS.flatMap((f) => [[false, f], [true, f]] as const)) {
        const inference = new Inference();
        for (const [i, row] of rows.entries()) {
          await inference.loadAlgo(new SeenFrames(`a${i}`), row);
        }
        if (withHook) inference.setProcess(() => {});
        const player = new Player(new FFmpegProducer({ format }), clip, {});
        const summary = await inference.start(player, { fps: 10, position: 0.4 });
        await inference.dispose();
        if (withHook) assert.equal(summary.frames, played.length);
        for (const [i, row] of rows.entries()) {
          const got = comparable(
            inference.dispatcher.getResults(`a${i}`).map(({ frame, time, position, result }) => ({
              frame,
              time,
              position,
              result,
            })),
          );
          assert.deepEqual(
            got,
            comparable(expectedRuns(played, 10, row)),
            `${format} ${label(row)}`,
          );
          assert.equal(summary.algos[`a${i}`].runs, got.length);
        }
      }
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("frame-exact scheduling on H.264 with B-frames, seeking into the middle of a GOP", async (t) => {
  await withTempDir(async (dir) => {
    const clip = await makeNumberedClip(`${dir}/numbers.mp4`, {
      fps: SRC_FPS,
      seconds: SECONDS,
      codec: "x264",
    });
    const rows: Row[] = [
      { frameCount: 2, frameStep: 3, interval: 0.5, fps: 7, position: 1.3 },
      { frameCount: 3, frameStep: 0, interval: 0.3, fps: 25, position: 2.7 },
      { frameCount: 1, frameStep: 0, interval: 1, fps: 10, position: 0 },
    ];
    for (const row of rows) {
      await t.step(label(row), async () => {
        const played = expectedPlayedFrames(TOTAL, SRC_FPS, row.fps, row.position);
        const want = comparable(expectedRuns(played, effective(row.fps), row));
        for (const format of FORMATS) {
          const skipping = await runRow(clip, row, "skipping", format);
          assert.deepEqual(skipping.records, want, format);
          const hooked = await runRow(clip, row, "hook", format);
          assert.deepEqual(hooked.records, want, format);
          assert.deepEqual(hooked.playedSeen, played.map((j, k) => [k, j]), format);
        }
      });
    }
    await assertNoFfmpeg(dir);
  });
});
