/**
 * Line analytics on scripted tracks: flicker, lines at the frame's edge, tracks crossing
 * twice, per-class counts, crossings around the line's end.
 */
import assert from "node:assert/strict";
import { type AnalyticsEvent, LineCounter, type LineOptions, type TrackedObject } from "../mod.ts";

const line = (extra: Partial<LineOptions> = {}): LineCounter =>
  new LineCounter({
    type: "line",
    name: "gate",
    on: "det",
    points: [[0, 100], [400, 100]],
    ...extra,
  });

/** A 40 x 40 box whose bottom centre is at (x, y). */
const at = (track: number, x: number, y: number, cls = "car"): TrackedObject => ({
  track,
  cls,
  box: [x - 20, y - 40, x + 20, y],
});

/** Feeds runs of objects, 10 per second; returns every event. */
function feed(counter: LineCounter, runs: TrackedObject[][]): AnalyticsEvent[] {
  const events = runs.flatMap((objects, i) => counter.update(objects, i / 10));
  return [...events, ...counter.finish()];
}

Deno.test("line: a one-run flicker across the line counts in=1, out=0", () => {
  const counter = line(); // minFrames 2
  const ys = [80, 90, 105, 95, 105, 110, 120, 130];
  const events = feed(counter, ys.map((y) => [at(1, 200, y)]));
  assert.deepEqual(counter.counts(), { car: { in: 1, out: 0 } });
  assert.deepEqual(events.map((e) => [e.event, e.track, e.class, e.direction]), [
    ["cross", 1, "car", "in"],
  ]);
  assert.deepEqual(events[0].counts, { car: { in: 1, out: 0 } });
});

Deno.test("line: a flicker that comes back counts nothing", () => {
  const counter = line();
  feed(counter, [80, 90, 101, 95, 90, 85, 80].map((y) => [at(1, 200, y)]));
  assert.deepEqual(counter.counts(), {});
});

Deno.test("line: a line 3 px from the frame's edge counts every crossing track", () => {
  // a 320 x 240 frame; the detector clips boxes to it; the line is at y = 237
  const counter = line({ points: [[0, 237], [320, 237]] });
  const clipped = (track: number, x: number, top: number): TrackedObject => ({
    track,
    cls: "car",
    box: [x, Math.min(top, 239), x + 40, Math.min(top + 60, 240)],
  });
  const runs: TrackedObject[][] = [];
  for (let i = 0; i < 40; i++) {
    const objects: TrackedObject[] = [];
    // tracks 1-3 drive down out of the frame; track 3 is lost right after it crosses
    for (const [track, start, x, last] of [[1, 0, 10, 99], [2, 5, 100, 99], [3, 10, 200, 18]]) {
      const top = 100 + 10 * (i - start);
      if (i >= start && top < 240 && i <= last) objects.push(clipped(track, x, top));
    }
    // track 4 drives up into the frame from below it
    const top4 = 240 - 10 * (i - 20);
    if (i >= 21 && top4 > 100) objects.push(clipped(4, 260, top4));
    runs.push(objects);
  }
  const events = feed(counter, runs);
  assert.deepEqual(
    events.map((e) => [e.track, e.direction]).sort(),
    [[1, "in"], [2, "in"], [3, "in"], [4, "out"]],
  );
  assert.deepEqual(counter.counts(), { car: { in: 3, out: 1 } });
});

Deno.test("line: a track crossing twice counts in and out, then no more", () => {
  const counter = line();
  const ys = [80, 90, 110, 120, 130, 110, 90, 80, 70, 90, 110, 120, 130];
  const events = feed(counter, ys.map((y) => [at(7, 200, y)]));
  assert.deepEqual(events.map((e) => e.direction), ["in", "out"]);
  assert.deepEqual(counter.counts(), { car: { in: 1, out: 1 } });
});

Deno.test("line: counts per class, and only the classes asked for", () => {
  const counter = line({ classes: ["car", "truck"], minFrames: 1 });
  const runs: TrackedObject[][] = [];
  for (let i = 0; i < 10; i++) {
    const y = 60 + 10 * i;
    runs.push([at(1, 50, y), at(2, 150, y, "truck"), at(3, 250, y), at(4, 350, y, "person")]);
    runs[i].push(at(5, 120, 160 - 10 * i, "truck"));
  }
  feed(counter, runs);
  assert.deepEqual(counter.counts(), { car: { in: 2, out: 0 }, truck: { in: 1, out: 1 } });
});

Deno.test("line: a track passing beyond the line's end does not cross it", () => {
  const counter = line({ points: [[0, 100], [200, 100]], minFrames: 1 });
  feed(counter, [80, 90, 110, 120].map((y) => [at(1, 300, y)]));
  assert.deepEqual(counter.counts(), {});
});

Deno.test("line: a polyline counts the direction of the segment crossed", () => {
  // a V: down-right then up-right
  const counter = line({ points: [[0, 0], [100, 100], [200, 0]], minFrames: 1 });
  feed(counter, [[at(1, 50, 20)], [at(1, 50, 80)], [at(1, 50, 90)]]);
  feed(counter, [[at(2, 150, 20)], [at(2, 150, 80)], [at(2, 150, 90)]]);
  // walking the V from its first point, below either arm is on the walker's right
  assert.deepEqual(counter.counts(), { car: { in: 2, out: 0 } });
  feed(counter, [[at(3, 150, 80)], [at(3, 150, 20)], [at(3, 150, 10)]]);
  assert.deepEqual(counter.counts(), { car: { in: 2, out: 1 } });
});
