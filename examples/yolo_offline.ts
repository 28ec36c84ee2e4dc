// YOLO on a video, offline: counts of each class per second.
//   deno run -A examples/yolo_offline.ts VIDEO MODEL.onnx
import { FFmpegProducer, Inference, Player } from "../mod.ts";
import type { Detection } from "../plugins/yolo/mod.ts";

const [source = "../shared/media/car-detection.mp4", model = "../shared/models/yolov8n_int8.onnx"] =
  Deno.args;
const inference = new Inference();
// Runs in workers (plugins loaded by path do), overlapping with decoding: two instances,
// each with half the cores, take turns on the frames.
await inference.loadAlgo(new URL("../plugins/yolo/mod.ts", import.meta.url), {
  name: "yolo",
  frameCount: 1,
  frameStep: 0,
  interval: 0.2,
  options: { model, confidence: 0.4 },
  permissions: { ffi: true, read: [model] },
  instances: 2,
});
const player = new Player(new FFmpegProducer(), source);
const summary = await inference.start(player, { mode: "offline" });
await inference.dispose();

const perSecond = new Map<number, Map<string, number>>();
for (const record of inference.dispatcher.getResults("yolo")) {
  const counts = new Map<string, number>();
  for (const d of (record.result ?? []) as Detection[]) {
    counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
  }
  const best = perSecond.get(record.position) ?? new Map();
  for (const [name, n] of counts) best.set(name, Math.max(best.get(name) ?? 0, n));
  perSecond.set(record.position, best);
}
for (const [second, counts] of perSecond) {
  const text = [...counts].map(([name, n]) => `${n} ${name}`).join(", ") || "-";
  console.log(`${String(second).padStart(3)} s  ${text}`);
}
console.log(`${summary.algos.yolo.runs} runs in ${summary.seconds.toFixed(1)} s`);
