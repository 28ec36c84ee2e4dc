/**
 * Zone analytics on scripted paths: enter, leave and dwell, occupancy, loiter once, a track
 * lost inside.
 */
import assert from "node:assert/strict";
import { type AnalyticsEvent, type TrackedObject, ZoneCounter, type ZoneOptions } from "../mod.ts";

const zone = (extra: Partial<ZoneOptions> = {}): ZoneCounter =>
  new ZoneCounter({
    type: "zone",
    name: "dock",
    on: "det",
    points: [[100, 100], [300, 100], [300, 300], [100, 300]],
    ...extra,
  });

/** A 20 x 20 box whose bottom centre is at (x, y). */
const at = (track: number, x: number, y: number, cls = "person"): TrackedObject => ({
  track,
  cls,
  box: [x - 10, y - 20, x + 10, y],
});

/** Feeds runs at 10 per second; returns the events with the time they came at. */
function feed(counter: ZoneCounter, runs: TrackedObject[][]): [number, AnalyticsEvent][] {
  return runs.flatMap((objects, i) =>
    counter.update(objects, i / 10).map((e) => [i / 10, e] as [number, AnalyticsEvent])
  );
}

Deno.test("zone: enter, leave and dwell on a scripted path; loiter fires once", () => {
  const counter = zone({ loiterSeconds: 1 }); // minFrames 2
  const runs: TrackedObject[][] = [];
  // outside for 0.0-0.4 s, inside for 0.5-2.9 s, outside from 3.0 s
  for (let i = 0; i < 40; i++) runs.push([at(1, i < 5 || i >= 30 ? 50 : 200, 200)]);
  const events = feed(counter, runs);
  assert.deepEqual(events.map(([t, e]) => [t, e.event, e.track]), [
    [0.6, "enter", 1],
    [1.6, "loiter", 1],
    [3.1, "leave", 1],
  ]);
  assert.deepEqual(events[0][1].occupancy, { person: 1 });
  assert.equal(events[1][1].dwell, 1.1);
  assert.equal(events[2][1].dwell, 2.5);
  assert.deepEqual(events[2][1].occupancy, { person: 0 });
  assert.deepEqual(counter.counts(), {
    occupancy: { person: 0 },
    counts: { person: { enter: 1, leave: 1 } },
  });
});

Deno.test("zone: occupancy per class; a track lost inside leaves after lostAfter", () => {
  const counter = zone({ minFrames: 1, lostAfter: 0.5 });
  const runs: TrackedObject[][] = [];
  for (let i = 0; i < 20; i++) {
    const objects = [at(1, 150, 150, "car"), at(2, 250, 250)];
    if (i < 5) objects.push(at(3, 200, 200)); // then gone, inside
    runs.push(objects);
  }
  const events = feed(counter, runs);
  assert.deepEqual(events.map(([t, e]) => [t, e.event, e.track]), [
    [0, "enter", 1],
    [0, "enter", 2],
    [0, "enter", 3],
    [1, "leave", 3],
  ]);
  assert.equal(events[3][1].dwell, 0.4); // to the last run it was seen in
  assert.deepEqual(counter.counts().occupancy, { car: 1, person: 1 });
});

Deno.test("zone: a one-run flicker in or out of the zone is no event", () => {
  const counter = zone();
  const xs = [50, 50, 200, 50, 50, 200, 200, 200, 50, 200, 200];
  const events = feed(counter, xs.map((x) => [at(1, x, 200)]));
  assert.deepEqual(events.map(([t, e]) => [t, e.event]), [[0.6, "enter"]]);
});
