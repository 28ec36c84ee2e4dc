import assert from "node:assert/strict";
import type { AlgoRecord } from "../record.ts";
import { detectionsOf, matches } from "./when.ts";

const record = (algo: string, result: unknown, error?: string): AlgoRecord => ({
  source: "gate",
  algo,
  frame: 3,
  time: 0.12,
  position: 0,
  ...(error !== undefined ? { error } : { result }),
});

const yolo = record("det", [
  { cls: 0, name: "person", score: 0.9, box: [0, 0, 10, 10] },
  { cls: 0, name: "person", score: 0.4, box: [0, 0, 10, 10] },
  { cls: 2, name: "car", score: 0.7, box: [0, 0, 10, 10] },
]);

Deno.test("when: algo only matches any successful record of that algo", () => {
  assert.equal(matches({ algo: "det" }, yolo), true);
  assert.equal(matches({ algo: "det" }, record("det", null)), true);
  assert.equal(matches({ algo: "other" }, yolo), false);
  assert.equal(matches({ algo: "det" }, record("det", undefined, "boom")), false);
});

Deno.test("when: class, minScore and minCount count the matching detections", () => {
  assert.equal(matches({ algo: "det", class: "person" }, yolo), true);
  assert.equal(matches({ algo: "det", class: "dog" }, yolo), false);
  assert.equal(matches({ algo: "det", class: "person", minCount: 2 }, yolo), true);
  assert.equal(matches({ algo: "det", class: "person", minCount: 3 }, yolo), false);
  assert.equal(matches({ algo: "det", class: "person", minScore: 0.5, minCount: 2 }, yolo), false);
  assert.equal(matches({ algo: "det", minScore: 0.8 }, yolo), true);
  assert.equal(matches({ algo: "det", minScore: 0.95 }, yolo), false);
  assert.equal(matches({ algo: "det", minCount: 3 }, yolo), true);
  // an empty result has no detection
  assert.equal(matches({ algo: "det", minCount: 1 }, record("det", [])), false);
  // motion's { boxes } and a tracker's { tracks } are detections too; no score never counts
  const motion = record("motion", { score: 0.1, boxes: [{ box: [1, 2, 3, 4], area: 0.01 }] });
  assert.equal(matches({ algo: "motion", minCount: 1 }, motion), true);
  assert.equal(matches({ algo: "motion", minScore: 0.1 }, motion), false);
  const tracks = record("trk", { tracks: [{ name: "car", score: 0.8, track: 4 }] });
  assert.equal(matches({ algo: "trk", class: "car" }, tracks), true);
});

Deno.test("when: event matches an analytics event record's result.event", () => {
  const cross = record("line", { event: "cross", track: 7, direction: "in" });
  assert.equal(matches({ algo: "line", event: "cross" }, cross), true);
  assert.equal(matches({ algo: "line", event: "enter" }, cross), false);
  assert.equal(matches({ algo: "line", event: "cross" }, record("line", [1, 2])), false);
});

Deno.test("when: detectionsOf finds the list of a result", () => {
  assert.equal(detectionsOf([1, 2]).length, 2);
  assert.equal(detectionsOf({ detections: [1] }).length, 1);
  assert.equal(detectionsOf({ objects: [1, 2, 3] }).length, 3);
  assert.deepEqual(detectionsOf({ score: 1 }), []);
  assert.deepEqual(detectionsOf("text"), []);
  assert.deepEqual(detectionsOf(null), []);
});
