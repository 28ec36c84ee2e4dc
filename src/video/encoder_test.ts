import assert from "node:assert/strict";
import type { Frame } from "../frame.ts";
import { FrameEncoder } from "./encoder.ts";
import { fileArgs } from "./targets.ts";

const W = 64, H = 48;

function frame(index: number): Frame {
  return {
    data: new Uint8Array(W * H * 3).fill(index * 10 % 256),
    width: W,
    height: H,
    format: "bgr24",
    index,
    source: "main",
    time: index / 10,
  };
}

async function probe(path: string): Promise<{ frames: number; duration: number }> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-count_frames",
      "-show_entries",
      "stream=nb_read_frames:format=duration",
      "-of",
      "json",
      path,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  return { frames: Number(json.streams[0].nb_read_frames), duration: Number(json.format.duration) };
}

Deno.test("encoder, frames clock: one output frame per pushed frame, none dropped when blocking", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a.mp4`;
    const enc = new FrameEncoder({
      label: "t",
      width: W,
      height: H,
      format: "bgr24",
      fps: 10,
      clock: "frames",
      block: true,
      queue: 2,
      output: fileArgs(path, 10),
    });
    for (let i = 0; i < 37; i++) await enc.push(frame(i));
    await enc.close();
    assert.deepEqual(enc.stats, { pushed: 37, written: 37, dropped: 0, restarts: 0 });
    assert.equal((await probe(path)).frames, 37);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encoder, wall clock: a pause in the frames repeats the last one, the video lasts the wall time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a.mp4`;
    const enc = new FrameEncoder({
      label: "t",
      width: W,
      height: H,
      format: "bgr24",
      fps: 10,
      clock: "wall",
      output: fileArgs(path, 10),
    });
    const began = performance.now();
    for (let i = 0; i < 5; i++) {
      await enc.push(frame(i));
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000)); // the source stalls: nothing is pushed
    await enc.push(frame(5));
    const wall = (performance.now() - began) / 1000;
    await enc.close();
    const { frames, duration } = await probe(path);
    assert.ok(frames > 20, `the gap is filled with repeats (${frames} frames)`);
    assert.ok(Math.abs(duration - wall) <= 1, `video ${duration} s, wall ${wall} s`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encoder: an ffmpeg that fails is reported once; later frames are dropped, close resolves", async () => {
  const messages: string[] = [];
  const enc = new FrameEncoder({
    label: "bad",
    width: W,
    height: H,
    format: "bgr24",
    fps: 10,
    clock: "frames",
    output: fileArgs("/nonexistent-dir/x/a.mp4", 10),
    onMessage: (m) => messages.push(m),
  });
  for (let i = 0; i < 200 && !messages.length; i++) {
    await enc.push(frame(i));
    await new Promise((r) => setTimeout(r, 20));
  }
  await enc.push(frame(0));
  await enc.close();
  assert.equal(messages.length, 1, messages.join("\n"));
  assert.match(messages[0], /^bad: ffmpeg exited \(\d+\): .*; no more frames are encoded$/);
  assert.ok(enc.stats.dropped >= 1);
});
