import assert from "node:assert/strict";
import { InlineRunner } from "../algo/runner.ts";
import type { Frame } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import { Observers } from "../observe/fanout.ts";
import type { AlgoRecord } from "../record.ts";
import { Schedule } from "../schedule/schedule.ts";
import { AlgoPool } from "./algo_pool.ts";
import { cropFrame } from "./crop_stage.ts";
import { RecordFlow } from "./flow.ts";
import { RunStages } from "./stages.ts";

const rec = (frame: number, result: unknown, algo = "det"): AlgoRecord => ({
  source: "main",
  algo,
  frame,
  time: frame / 10,
  position: Math.floor(frame / 10),
  result,
});
const timing = { runMs: 1, lagMs: 1, instance: 0 };

function flowOf(stages: RunStages) {
  const seen: AlgoRecord[] = [];
  const observers = new Observers();
  observers.add({ onRecord: (r) => void seen.push(r) });
  return { seen, flow: new RecordFlow(observers, stages.list()), key: { id: "main" } };
}

Deno.test("track stage: keeps the result's shape, skips items without a box and errors", async () => {
  const stages = new RunStages();
  stages.addTrack("det", { minHits: 1 });
  const { seen, flow, key } = flowOf(stages);
  const box = [10, 10, 50, 50];
  await flow.push(
    key,
    rec(0, { detections: [{ box, name: "car" }, { label: "x" }], n: 2 }),
    timing,
  );
  await flow.push(key, rec(1, [{ box, score: 0.9, name: "car" }]), timing);
  await flow.push(key, { ...rec(2, undefined), error: "boom" }, timing);
  await flow.push(key, rec(3, { other: 1 }), timing);
  await flow.push(key, rec(4, [{ box }], "another"), timing);
  assert.deepEqual(seen.map((r) => r.result ?? r.error), [
    { detections: [{ box, name: "car", track: 1 }, { label: "x" }], n: 2 },
    [{ box, score: 0.9, name: "car", track: 1 }],
    "boom",
    { other: 1 },
    [{ box }],
  ]);
});

Deno.test("analytics stage: counts every report seconds and once more at the end", async () => {
  const stages = new RunStages();
  stages.addTrack("det", { minHits: 1 });
  stages.addAnalytics({
    type: "line",
    name: "gate",
    on: "det",
    points: [[0, 100], [400, 100]],
    minFrames: 1,
    report: 1,
  }, (name) => name === "det");
  stages.addAnalytics({
    type: "zone",
    name: "dock",
    on: "det",
    points: [[0, 0], [400, 0], [400, 90], [0, 90]],
    minFrames: 1,
  }, (name) => name === "det");
  const { seen, flow, key } = flowOf(stages);
  for (let i = 0; i < 25; i++) {
    const y = 40 + 4 * i; // the box's bottom crosses y = 100 at run 15
    await flow.push(key, rec(i, [{ box: [100, y - 20, 120, y], name: "car", score: 0.9 }]), timing);
  }
  await flow.end(key);
  const events = seen.filter((r) => r.algo !== "det").map((r) => [r.algo, r.frame, r.result]);
  assert.deepEqual(events, [
    ["dock", 0, { event: "enter", track: 1, class: "car", occupancy: { car: 1 } }],
    ["gate", 10, { event: "counts", counts: {} }],
    ["dock", 13, {
      event: "leave",
      track: 1,
      class: "car",
      dwell: 1.3,
      occupancy: { car: 0 },
    }],
    ["gate", 16, {
      event: "cross",
      track: 1,
      class: "car",
      direction: "in",
      counts: { car: { in: 1, out: 0 } },
    }],
    ["gate", 20, { event: "counts", counts: { car: { in: 1, out: 0 } } }],
    ["gate", 24, { event: "counts", counts: { car: { in: 1, out: 0 } }, final: true }],
    ["dock", 24, {
      event: "counts",
      occupancy: { car: 0 },
      counts: { car: { enter: 1, leave: 1 } },
      final: true,
    }],
  ]);
});

Deno.test("analytics: bad entries are refused with their name", () => {
  const stages = new RunStages();
  stages.addTrack("det", {});
  const loaded = (name: string) => name === "det" || name === "other";
  const line = { type: "line", name: "gate", on: "det", points: [[0, 1], [2, 3]] };
  assert.throws(() => stages.addAnalytics({ ...line, on: "nope" }, loaded), /no algorithm named/);
  assert.throws(() => stages.addAnalytics({ ...line, on: "other" }, loaded), /not tracked/);
  assert.throws(() => stages.addAnalytics({ ...line, name: "det" }, loaded), /name is taken/);
  assert.throws(() => stages.addAnalytics({ ...line, points: [[0, 1]] }, loaded), /gate'.points/);
  stages.addAnalytics(line, loaded);
  assert.throws(() => stages.addAnalytics(line, loaded), /name is taken/);
});

Deno.test("crop stage: best scored first up to maxCrops, class filter, pad clipped to the frame", async () => {
  const width = 8, height = 6;
  const frame: Frame = {
    data: Uint8Array.from({ length: width * height }, (_, i) => i),
    width,
    height,
    format: "gray",
    index: 3,
    source: "main",
    time: 0.3,
  };
  const got: Frame[] = [];
  const probe = { name: "probe", run: (frames: Frame[]) => (got.push(frames[0]), frames[0].width) };
  const pool = new AlgoPool("probe", new Schedule({ frameCount: 1, frameStep: 0, interval: 1 }), [
    new InlineRunner(probe),
  ]);
  const stages = new RunStages();
  stages.addCrops(pool, { from: "det", classes: ["car"], maxCrops: 2, pad: 0.5 }, new FramePool());
  const { seen, flow, key } = flowOf(stages);
  const dets = [
    { name: "car", score: 0.5, box: [0, 0, 2, 2] },
    { name: "person", score: 0.99, box: [2, 2, 4, 4] },
    { name: "car", score: 0.9, box: [6, 4, 8, 6] },
    { name: "car", score: 0.7, box: [3, 1, 5, 3] },
  ];
  await flow.push(key, rec(3, dets), timing, { frame });
  // the two best cars, in detection order, each grown by half its size and clipped
  assert.deepEqual(got.map((f) => [f.width, f.height, [...f.data]]), [
    [3, 3, [29, 30, 31, 37, 38, 39, 45, 46, 47]],
    [4, 4, [2, 3, 4, 5, 10, 11, 12, 13, 18, 19, 20, 21, 26, 27, 28, 29]],
  ]);
  const [det, probed] = seen;
  assert.deepEqual((det.result as { probe?: number }[]).map((d) => d.probe), [
    undefined,
    undefined,
    3,
    4,
  ]);
  assert.equal(probed.algo, "probe");
  assert.deepEqual(probed.result, [{ index: 2, result: 3 }, { index: 3, result: 4 }]);
  assert.throws(() => cropFrame({ ...frame, format: "yuv420p" }, [0, 0, 2, 2], 0), /bgr24/);
});
