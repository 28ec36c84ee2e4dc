/**
 * The tracker on synthetic detections built here: occlusion within maxAge, crossing paths,
 * new objects, determinism.
 */
import assert from "node:assert/strict";
import { Tracker, type TrackInput } from "../src/track/tracker.ts";
import type { TrackOptions } from "../src/track/options.ts";

const box = (x: number, y: number, w = 40, h = 40): [number, number, number, number] => [
  x,
  y,
  x + w,
  y + h,
];
const det = (x: number, y: number, cls = "car", score = 0.9): TrackInput => ({
  box: box(x, y),
  score,
  cls,
});

/** Runs a scripted sequence at 10 runs per second; returns the ids per run. */
function play(options: TrackOptions, frames: TrackInput[][]): (number | undefined)[][] {
  const tracker = new Tracker(options);
  return frames.map((dets, i) => tracker.update(dets, i / 10));
}

for (const type of ["bytetrack", "iou"] as const) {
  Deno.test(`${type}: a box that disappears for 10 runs (within maxAge) keeps its id`, () => {
    // ByteTrack predicts the motion: the box comes back 44 px on, past its own width; the IoU
    // tracker matches the last box seen, so its box moves slowly
    const speed = type === "bytetrack" ? 4 : 1;
    const frames: TrackInput[][] = [];
    for (let i = 0; i < 50; i++) frames.push(i >= 20 && i < 30 ? [] : [det(100 + speed * i, 50)]);
    const ids = play({ type, maxAge: 2, minHits: 2 }, frames);
    assert.equal(ids[0][0], 1); // first run: confirmed at once
    for (let i = 0; i < 50; i++) {
      if (i >= 20 && i < 30) assert.deepEqual(ids[i], []);
      else assert.equal(ids[i][0], 1, `run ${i}`);
    }
  });

  Deno.test(`${type}: a box gone longer than maxAge comes back with a new id`, () => {
    const frames: TrackInput[][] = [];
    for (let i = 0; i < 40; i++) frames.push(i >= 10 && i < 30 ? [] : [det(100, 50)]);
    const ids = play({ type, maxAge: 1, minHits: 1 }, frames);
    assert.equal(ids[9][0], 1);
    assert.equal(ids[30][0], 2);
  });

  Deno.test(`${type}: a new object gets a new id after minHits runs`, () => {
    const frames: TrackInput[][] = [];
    for (let i = 0; i < 20; i++) {
      frames.push(i < 5 ? [det(10, 10)] : [det(10, 10), det(300, 200, "person")]);
    }
    const ids = play({ type, minHits: 3 }, frames);
    assert.deepEqual(ids[4], [1]);
    assert.deepEqual(ids[5], [1, undefined]);
    assert.deepEqual(ids[6], [1, undefined]);
    assert.deepEqual(ids[7], [1, 2]);
    assert.deepEqual(ids[19], [1, 2]);
  });

  Deno.test(`${type}: the same detections give the same ids, run after run`, () => {
    let seed = 3;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const frames: TrackInput[][] = [];
    for (let i = 0; i < 100; i++) {
      const dets: TrackInput[] = [];
      for (let k = 0; k < 12; k++) {
        if (rand() < 0.1) continue; // missed now and then
        dets.push(
          det(20 + k * 50 + 3 * i + rand() * 4, 30 + (k % 3) * 90, "car", 0.3 + rand() * 0.7),
        );
      }
      frames.push(dets);
    }
    const a = play({ type }, frames);
    const b = play({ type }, frames);
    assert.deepEqual(a, b);
    assert.ok(new Set(a.flat().filter((id) => id !== undefined)).size >= 12);
  });
}

Deno.test("bytetrack: two boxes crossing paths keep their ids", () => {
  const frames: TrackInput[][] = [];
  for (let i = 0; i <= 60; i++) {
    // A goes right, B goes left; they overlap almost completely mid-way
    frames.push([det(20 + 8 * i, 100), det(500 - 8 * i, 106)]);
  }
  const ids = play({ type: "bytetrack", minHits: 1 }, frames);
  for (let i = 0; i <= 60; i++) assert.deepEqual(ids[i], [1, 2], `run ${i}`);
});

Deno.test("bytetrack: a weak detection continues a track but does not start one", () => {
  const frames: TrackInput[][] = [];
  for (let i = 0; i < 10; i++) {
    frames.push([det(100 + i, 50, "car", i < 5 ? 0.9 : 0.3), det(400, 300, "car", 0.3)]);
  }
  const ids = play({ type: "bytetrack", minHits: 1 }, frames);
  for (let i = 0; i < 10; i++) assert.deepEqual(ids[i], [1, undefined]);
});

Deno.test("tracker: bad options are refused with the key's name", () => {
  assert.throws(() => new Tracker({ maxAge: -1 }), /track.maxAge/);
  assert.throws(() => new Tracker({ minHits: 0 }), /track.minHits/);
  assert.throws(() => new Tracker({ type: "sort" as "iou" }), /track.type/);
});

Deno.test("bytetrack: sameClass false keeps one track through class flips, one per object", () => {
  const frames: TrackInput[][] = [];
  for (let i = 0; i < 20; i++) {
    const cls = ["car", "truck", "bus"][i % 3];
    // the same object, named differently each run, and now and then twice at once
    const dets = [det(100 + 3 * i, 50, cls, 0.8)];
    if (i % 4 === 0) {
      dets.push({ ...det(100 + 3 * i, 50, "truck", 0.6), box: box(101 + 3 * i, 51) });
    }
    frames.push(dets);
  }
  const ids = play({ type: "bytetrack", sameClass: false, minHits: 1 }, frames);
  assert.deepEqual(new Set(ids.flat().filter((id) => id !== undefined)), new Set([1]));
  // with classes kept apart, the flips break the track
  const apart = play({ type: "bytetrack", minHits: 1 }, frames);
  assert.ok(new Set(apart.flat().filter((id) => id !== undefined)).size > 1);
});
