import assert from "node:assert/strict";
import type { Frame } from "../mod.ts";
import MotionDetector, { type MotionResult } from "./motion.ts";

const WIDTH = 64;
const HEIGHT = 48;

/**
 * Frame `index` of a synthetic source: a bright square moving on a flat background. Each
 * source has its own background, square size, start and speed, so comparing a frame of one
 * source with a frame of another finds change where comparing within a source finds none.
 */
function frameOf(source: string, index: number): Frame {
  const spec = source === "a"
    ? { background: 20, size: 10, x: 2, y: 4, dx: 3, dy: 1 }
    : { background: 90, size: 16, x: 40, y: 20, dx: -2, dy: 2 };
  const data = new Uint8Array(WIDTH * HEIGHT * 3).fill(spec.background);
  const x0 = spec.x + spec.dx * index;
  const y0 = spec.y + spec.dy * index;
  for (let y = Math.max(0, y0); y < Math.min(HEIGHT, y0 + spec.size); y++) {
    for (let x = Math.max(0, x0); x < Math.min(WIDTH, x0 + spec.size); x++) {
      data.fill(240, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
    }
  }
  return { data, width: WIDTH, height: HEIGHT, format: "bgr24", index, source, time: index / 10 };
}

const FRAMES = 6;

/** Runs a fresh detector (frameCount 1) on each frame in turn. */
function runAll(frames: Frame[]): MotionResult[] {
  const motion = new MotionDetector();
  motion.init({ width: 32, threshold: 25, minArea: 1 });
  return frames.map((f) => motion.run([f]));
}

Deno.test("motion: interleaved sources give each source's results alone", () => {
  const a = Array.from({ length: FRAMES }, (_, i) => frameOf("a", i));
  const b = Array.from({ length: FRAMES }, (_, i) => frameOf("b", i));
  const aloneA = runAll(a);
  const aloneB = runAll(b);
  // the scenes move: there is something to compare
  assert.deepEqual(aloneA[0], { score: 0, boxes: [] }, "a source's first frame has no previous");
  assert.deepEqual(aloneB[0], { score: 0, boxes: [] });
  for (let i = 1; i < FRAMES; i++) {
    assert.ok(aloneA[i].score > 0 && aloneA[i].boxes.length > 0, `a${i} moves`);
    assert.ok(aloneB[i].score > 0 && aloneB[i].boxes.length > 0, `b${i} moves`);
  }

  // A0, B0, A1, B1, ... through one instance
  const interleaved = runAll(a.flatMap((f, i) => [f, b[i]]));
  assert.deepEqual(interleaved.filter((_, k) => k % 2 === 0), aloneA);
  assert.deepEqual(interleaved.filter((_, k) => k % 2 === 1), aloneB);
});

Deno.test("motion: an unbalanced interleaving keeps each source's previous frame", () => {
  const a = Array.from({ length: FRAMES }, (_, i) => frameOf("a", i));
  const b = Array.from({ length: 2 }, (_, i) => frameOf("b", i));
  // A0, A1, B0, A2, A3, A4, B1, A5
  const order = [a[0], a[1], b[0], a[2], a[3], a[4], b[1], a[5]];
  const results = runAll(order);
  assert.deepEqual(results.filter((_, k) => order[k].source === "a"), runAll(a));
  assert.deepEqual(results.filter((_, k) => order[k].source === "b"), runAll(b));
});

Deno.test("motion: with frameCount 2 a run compares its own frames only", () => {
  const motion = new MotionDetector();
  motion.init({ width: 32, minArea: 1 });
  const pair = [frameOf("a", 0), frameOf("a", 3)];
  const first = motion.run(pair);
  assert.ok(first.score > 0);
  motion.run([frameOf("b", 0), frameOf("b", 1)]);
  assert.deepEqual(motion.run(pair), first);
});

Deno.test("motion: dispose forgets the previous frames", () => {
  const motion = new MotionDetector();
  motion.init({ width: 32, minArea: 1 });
  motion.run([frameOf("a", 0)]);
  assert.ok(motion.run([frameOf("a", 1)]).score > 0);
  motion.dispose();
  assert.deepEqual(motion.run([frameOf("a", 2)]), { score: 0, boxes: [] });
});
