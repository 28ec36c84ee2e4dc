/**
 * The YOLO letterbox reading YUV frames: on the real model (STREAM_INFER_TEST_MODEL) and 25
 * frames of car-detection.mp4, `yuv420p` and `nv12` frames give the detections that `bgr24`
 * frames of the same video give: same classes, boxes within 1 px.
 */
import { CAR_CLIP } from "./helpers.ts";
import assert from "node:assert/strict";
import YoloDetector, { type Detection, letterbox } from "../plugins/yolo/mod.ts";
import { cloneFrame, FFmpegProducer, type Frame, type PixelFormat, probe } from "../mod.ts";

const REAL_MODEL = Deno.env.get("STREAM_INFER_TEST_MODEL") ?? "";
const CLIP = CAR_CLIP;
const FRAMES = 25;

if (!REAL_MODEL) {
  console.log(
    "yolo_yuv_test: skipped: set STREAM_INFER_TEST_MODEL=/path/to/yolov8n.onnx to run it",
  );
}

/** The first `FRAMES` frames, one a second apart (fps 1), in `format`. */
async function framesOf(format: PixelFormat): Promise<Frame[]> {
  const info = await probe(CLIP);
  const frames: Frame[] = [];
  for await (const f of new FFmpegProducer({ format }).read(CLIP, { info, fps: 1 })) {
    frames.push(cloneFrame(f));
    if (frames.length === FRAMES) break;
  }
  return frames;
}

/** Pairs each detection with the other list's of the same class whose box is nearest. */
function assertSameDetections(got: Detection[], want: Detection[], what: string) {
  assert.equal(got.length, want.length, `${what}: ${got.length} detections, want ${want.length}`);
  const left = [...got];
  for (const w of want) {
    const distance = (d: Detection) => Math.max(...d.box.map((v, i) => Math.abs(v - w.box[i])));
    const candidates = left.filter((d) => d.cls === w.cls);
    assert.ok(candidates.length > 0, `${what}: no ${w.name} for [${w.box}]`);
    const best = candidates.reduce((a, b) => distance(a) <= distance(b) ? a : b);
    assert.ok(
      distance(best) <= 1,
      `${what}: ${w.name} [${w.box}] vs [${best.box}] (${distance(best).toFixed(2)} px apart)`,
    );
    left.splice(left.indexOf(best), 1);
  }
}

Deno.test("letterbox: yuv420p and nv12 frames give the bgr24 tensor (the very floats at the source size)", async () => {
  const info = await probe(CLIP);
  const first = async (format: PixelFormat, width: number) => {
    for await (const f of new FFmpegProducer({ format, width }).read(CLIP, { info })) {
      return cloneFrame(f);
    }
    throw new Error("no frame");
  };
  // At the source's size (768x432, shrunk to 640x360 by the letterbox) ffmpeg converts
  // without scaling and the tensors are the same floats. When ffmpeg also resizes (640x360
  // placed as it is; 320x180 enlarged), its scaler converts to bgr24 with its own rounding:
  // the tensors then differ by a few levels at most.
  for (const [width, levels] of [[768, 0], [640, 6], [320, 6]]) {
    const want = letterbox(await first("bgr24", width), 640).tensor;
    for (const format of ["yuv420p", "nv12"] as const) {
      const got = letterbox(await first(format, width), 640).tensor;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(
        worst <= levels / 255,
        `${format} ${width}: off by ${(worst * 255).toFixed(2)} levels, want <= ${levels}`,
      );
    }
  }
});

Deno.test({
  name: "YoloDetector: yuv420p and nv12 frames give the bgr24 detections (25 frames)",
  ignore: !REAL_MODEL,
  fn: async () => {
    const bgr = await framesOf("bgr24");
    assert.equal(bgr.length, FRAMES);
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: REAL_MODEL });
      const want: Detection[][] = [];
      for (const f of bgr) want.push(await yolo.run([f]));
      assert.ok(want.flat().some((d) => d.name === "car"), "the clip has cars");
      for (const format of ["yuv420p", "nv12"] as const) {
        const frames = await framesOf(format);
        assert.equal(frames.length, FRAMES);
        let total = 0;
        for (const [i, f] of frames.entries()) {
          assert.equal(f.format, format);
          const got = await yolo.run([f]);
          assertSameDetections(got, want[i], `${format} frame ${i}`);
          total += got.length;
        }
        console.log(`yolo_yuv_test: ${format}: ${total} detections over ${FRAMES} frames match`);
      }
    } finally {
      await yolo.dispose();
    }
  },
});
