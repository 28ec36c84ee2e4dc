/**
 * Cost of the YOLO plugin's pre- and post-processing next to the model itself.
 *
 * Decodes frames of a clip with ffmpeg (rawvideo bgr24), then times, per frame:
 * `letterbox` (resize + pad + NCHW float), `session.run` and `decodeYolo` (threshold + NMS +
 * box mapping), and prints the medians.
 *
 *   deno run --allow-read --allow-run --allow-env --allow-ffi --allow-sys bench/yolo_prepost.ts \
 *     [--model PATH] [--clip PATH] [--frames 30] [--threads N]
 *
 * Defaults: the model in $STREAM_INFER_TEST_MODEL, else ../../shared/models/yolov8n_int8.onnx;
 * the clip ../../shared/media/car-detection.mp4 (both relative to this file).
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { decodeYolo, letterbox, parseNames, readOnnxMetadata } from "../plugins/yolo/mod.ts";
import { cloneFrame, FFmpegProducer, type Frame, probe } from "../mod.ts";
import { median } from "./report.ts";

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1] : fallback;
}

const here = (p: string) => new URL(p, import.meta.url).pathname;
const modelPath = arg(
  "model",
  Deno.env.get("STREAM_INFER_TEST_MODEL") ?? here("../../shared/models/yolov8n_int8.onnx"),
);
const clip = arg("clip", here("../../shared/media/car-detection.mp4"));
const count = Number(arg("frames", "30"));
const threads = Number(arg("threads", "0"));

/** `n` frames spread evenly over the clip, decoded by the library's own producer. */
async function decodeFrames(path: string, n: number): Promise<Frame[]> {
  const info = await probe(path);
  const frames: Frame[] = [];
  const fps = n / (info.duration ?? n);
  for await (const frame of new FFmpegProducer().read(path, { info, fps })) {
    frames.push(cloneFrame(frame));
    if (frames.length === n) break;
  }
  return frames;
}

const frames = await decodeFrames(clip, count);
const names = parseNames(readOnnxMetadata(await Deno.readFile(modelPath)).names ?? "{}");
const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: "all",
  ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
});
const input = session.inputMetadata[0];
const shape = input.isTensor ? input.shape : [];
const size = typeof shape[2] === "number" ? shape[2] : 640;

const pre: number[] = [];
const run: number[] = [];
const post: number[] = [];
let buffer: Float32Array = new Float32Array(3 * size * size);
let tensor = new ort.Tensor("float32", buffer, [1, 3, size, size]);
let detections = 0;
const warmup = 2;
for (let k = 0; k < frames.length + warmup; k++) {
  const frame = frames[k % frames.length];
  const t0 = performance.now();
  const lb = letterbox(frame, size, buffer);
  const t1 = performance.now();
  if (lb.tensor !== buffer) {
    buffer = lb.tensor;
    tensor = new ort.Tensor("float32", buffer, [1, 3, size, size]);
  }
  const result = await session.run({ [session.inputNames[0]]: tensor });
  const t2 = performance.now();
  const out = result[session.outputNames[0]];
  const dets = decodeYolo(out.data as Float32Array, out.dims, {
    scale: lb.scale,
    padX: lb.padX,
    padY: lb.padY,
    frameWidth: frame.width,
    frameHeight: frame.height,
    names,
  });
  const t3 = performance.now();
  if (k < warmup) continue;
  pre.push(t1 - t0);
  run.push(t2 - t1);
  post.push(t3 - t2);
  detections += dets.length;
}
await session.release();

const f = (x: number) => x.toFixed(2).padStart(7);
const [mPre, mRun, mPost] = [median(pre), median(run), median(post)];
console.log(
  `model ${modelPath} (input ${size}x${size}); ${frames.length} frames ` +
    `${frames[0].width}x${frames[0].height} bgr24 of ${clip}; ${detections} detections`,
);
console.log(`median letterbox   ${f(mPre)} ms`);
console.log(`median session.run ${f(mRun)} ms`);
console.log(`median decode+NMS  ${f(mPost)} ms`);
console.log(
  `pre+post = ${f(mPre + mPost)} ms = ${((100 * (mPre + mPost)) / mRun).toFixed(1)}% of run`,
);
