/** boxesOf reads the YOLO, motion, tracker and `{ boxes, scores }` shapes; LatestRecords keeps the newest. */
import assert from "node:assert/strict";
import { LatestRecords } from "./latest.ts";
import { boxesOf } from "./shapes.ts";

Deno.test("shapes: YOLO detections, motion boxes, tracks and parallel arrays", () => {
  assert.deepEqual(boxesOf([{ cls: 2, name: "car", score: 0.87, box: [10.5, 20, 110, 80.2] }]), [
    { box: [10.5, 20, 110, 80.2], name: "car", score: 0.87 },
  ]);
  assert.deepEqual(boxesOf({ score: 0.02, boxes: [{ box: [1, 2, 3, 4], area: 0.01 }] }), [
    { box: [1, 2, 3, 4] },
  ]);
  assert.deepEqual(
    boxesOf({
      tracks: [{ track: 7, name: "person", score: 0.5, box: [0, 0, 5, 5] }, {
        trackId: "a",
        bbox: [1, 1, 2, 2],
        label: "dog",
        confidence: 0.4,
      }],
    }),
    [
      { box: [0, 0, 5, 5], name: "person", score: 0.5, track: 7 },
      { box: [1, 1, 2, 2], name: "dog", score: 0.4, track: "a" },
    ],
  );
  assert.deepEqual(
    boxesOf({ boxes: [[0, 0, 4, 4], [1, 1, 3, 3]], scores: [0.9, 0.1], names: ["a"] }),
    [
      { box: [0, 0, 4, 4], name: "a", score: 0.9 },
      { box: [1, 1, 3, 3], score: 0.1 },
    ],
  );
});

Deno.test("shapes: anything else gives no boxes", () => {
  for (
    const r of [null, 3, "x", { a: 1 }, [1, 2, 3], { boxes: [[0, 0, 1]] }, [{
      box: [0, 0, NaN, 1],
    }], { detections: "no" }]
  ) {
    assert.deepEqual(boxesOf(r), [], JSON.stringify(r));
  }
});

Deno.test("latest records: newest per source and algorithm, by frame", () => {
  const latest = new LatestRecords();
  const r = (source: string, algo: string, frame: number) => ({
    source,
    algo,
    frame,
    time: frame / 10,
    position: 0,
    result: frame,
  });
  latest.onRecord(r("a", "det", 5));
  latest.onRecord(r("a", "det", 3)); // older: ignored
  latest.onRecord(r("a", "motion", 4));
  latest.onRecord(r("b", "det", 1));
  assert.deepEqual(latest.of("a").map((x) => `${x.algo}@${x.frame}`), ["det@5", "motion@4"]);
  assert.deepEqual(latest.of("b").map((x) => x.frame), [1]);
  latest.clear("a");
  assert.deepEqual(latest.of("a"), []);
  latest.clear();
  assert.deepEqual(latest.of("b"), []);
});
