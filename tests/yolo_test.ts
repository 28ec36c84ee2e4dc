import assert from "node:assert/strict";
import YoloDetector, {
  COCO_NAMES,
  decodeYolo,
  type Detection,
  iou,
  letterbox,
  nms,
  parseNames,
  readOnnxMetadata,
  yoloSessionOptions,
} from "../plugins/yolo/mod.ts";
import {
  cloneFrame,
  FFmpegProducer,
  type Frame,
  Inference,
  InputError,
  type PixelFormat,
  Player,
  PluginError,
  probe,
} from "../mod.ts";
import { ffmpeg, withTempDir } from "./helpers.ts";
import { constantOutputModel, encodeModel } from "./onnx_builder.ts";

const PAD = 114 / 255;
const close = (a: number, b: number, eps = 1e-6) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} is not within ${eps} of ${b}`);

function frameOf(
  width: number,
  height: number,
  format: PixelFormat,
  pixel: (x: number, y: number) => number[],
): Frame {
  const c = format === "gray" ? 1 : 3;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * c);
  }
  return { data, width, height, format, index: 0, source: "main", time: 0 };
}

/** Value of plane `c` at (x, y) of a `size`x`size` NCHW tensor. */
const at = (t: Float32Array, size: number, c: number, x: number, y: number) =>
  t[c * size * size + y * size + x];

// ---------------------------------------------------------------------------------------------
// letterbox
// ---------------------------------------------------------------------------------------------

Deno.test("letterbox: bgr24 frame needing no resize is padded top/bottom, in RGB order", () => {
  const f = frameOf(4, 2, "bgr24", (x, y) => [10 * x, 100 + y, 200 + x]); // B, G, R
  const { tensor, scale, padX, padY, width, height } = letterbox(f, 4);
  assert.deepEqual([scale, padX, padY, width, height], [1, 0, 1, 4, 4]);
  assert.equal(tensor.length, 3 * 16);
  for (let c = 0; c < 3; c++) {
    for (let x = 0; x < 4; x++) {
      close(at(tensor, 4, c, x, 0), PAD);
      close(at(tensor, 4, c, x, 3), PAD);
    }
  }
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 4; x++) {
      close(at(tensor, 4, 0, x, y + 1), (200 + x) / 255); // R
      close(at(tensor, 4, 1, x, y + 1), (100 + y) / 255); // G
      close(at(tensor, 4, 2, x, y + 1), (10 * x) / 255); // B
    }
  }
});

Deno.test("letterbox: wide frame is scaled down and centred vertically", () => {
  const f = frameOf(16, 8, "bgr24", () => [10, 20, 30]);
  const { tensor, scale, padX, padY } = letterbox(f, 8);
  assert.deepEqual([scale, padX, padY], [0.5, 0, 2]);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const inside = y >= 2 && y < 6;
      close(at(tensor, 8, 0, x, y), inside ? 30 / 255 : PAD);
      close(at(tensor, 8, 1, x, y), inside ? 20 / 255 : PAD);
      close(at(tensor, 8, 2, x, y), inside ? 10 / 255 : PAD);
    }
  }
});

Deno.test("letterbox: tall frame is centred horizontally (odd padding goes right)", () => {
  const f = frameOf(3, 10, "rgb24", () => [255, 0, 128]);
  // scale = min(10/10, 10/3) = 1 -> 3x10, dw = 7 -> left 3, right 4
  const { tensor, scale, padX, padY } = letterbox(f, 10);
  assert.deepEqual([scale, padX, padY], [1, 3, 0]);
  for (let x = 0; x < 10; x++) {
    const inside = x >= 3 && x < 6;
    close(at(tensor, 10, 0, x, 5), inside ? 1 : PAD);
    close(at(tensor, 10, 1, x, 5), inside ? 0 : PAD);
    close(at(tensor, 10, 2, x, 5), inside ? 128 / 255 : PAD);
  }
});

Deno.test("letterbox: bilinear resize follows OpenCV INTER_LINEAR (half-pixel centres)", () => {
  const ramp = [0, 100, 200, 250];
  const f = frameOf(4, 4, "gray", (x) => [ramp[x]]);
  const { tensor, scale } = letterbox(f, 2);
  assert.equal(scale, 0.5);
  // source x = (d + 0.5) * 2 - 0.5 = 0.5 and 2.5 -> 50 and 225, the same in R, G and B
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 2; y++) {
      close(at(tensor, 2, c, 0, y), 50 / 255, 1e-5);
      close(at(tensor, 2, c, 1, y), 225 / 255, 1e-5);
    }
  }
});

Deno.test("letterbox: rgb24 frame of the input size is copied as is, into the given buffer", () => {
  const f = frameOf(4, 4, "rgb24", (x, y) => [x * 60, y * 60, 7]);
  const out = new Float32Array(3 * 16).fill(-1);
  const lb = letterbox(f, 4, out);
  assert.equal(lb.tensor, out);
  assert.deepEqual([lb.scale, lb.padX, lb.padY], [1, 0, 0]);
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      close(at(out, 4, 0, x, y), (x * 60) / 255);
      close(at(out, 4, 1, x, y), (y * 60) / 255);
      close(at(out, 4, 2, x, y), 7 / 255);
    }
  }
  // a buffer of the wrong size is not used
  const other = letterbox(f, 4, new Float32Array(5));
  assert.equal(other.tensor.length, 48);
});

Deno.test("letterbox: rejects short data, bad formats and bad sizes", () => {
  const f = frameOf(4, 4, "rgb24", () => [0, 0, 0]);
  assert.throws(() => letterbox({ ...f, data: new Uint8Array(10) }, 4), InputError);
  assert.throws(() => letterbox({ ...f, format: "yuv" as PixelFormat }, 4), InputError);
  assert.throws(() => letterbox(f, 0), InputError);
  assert.throws(() => letterbox(f, [4, 4.5]), InputError);
});

// ---------------------------------------------------------------------------------------------
// iou / nms
// ---------------------------------------------------------------------------------------------

Deno.test("yoloSessionOptions: parallel instances share the cores unless threads is set", () => {
  const cores = navigator.hardwareConcurrency;
  assert.equal(yoloSessionOptions({}).intraOpNumThreads, undefined, "onnxruntime's default");
  assert.equal(yoloSessionOptions({}, 1).intraOpNumThreads, undefined);
  assert.equal(yoloSessionOptions({}, 2).intraOpNumThreads, Math.max(1, Math.floor(cores / 2)));
  assert.equal(yoloSessionOptions({}, cores * 4).intraOpNumThreads, 1, "at least one thread");
  assert.equal(yoloSessionOptions({ threads: 3 }, 2).intraOpNumThreads, 3, "threads wins");
  assert.deepEqual(yoloSessionOptions({ spinning: false }, 1).extra, {
    session: { intra_op: { allow_spinning: "0" } },
  });
});

Deno.test("iou: overlap, disjoint, identical and degenerate boxes", () => {
  close(iou([0, 0, 2, 2], [1, 0, 3, 2]), 1 / 3);
  assert.equal(iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
  assert.equal(iou([0, 0, 1, 1], [1, 0, 2, 1]), 0); // touching edges
  assert.equal(iou([1, 1, 5, 5], [1, 1, 5, 5]), 1);
  assert.equal(iou([1, 1, 1, 1], [1, 1, 1, 1]), 0);
});

Deno.test("nms: class-wise, class-agnostic, score order and maxDetections", () => {
  const boxes = [
    0,
    0,
    10,
    10, // 0: class 0, 0.8
    1,
    1,
    11,
    11, // 1: class 0, 0.9 (overlaps 0 by 0.68)
    0,
    0,
    10,
    10, // 2: class 1, 0.7 (same place, other class)
    20,
    20,
    30,
    30, // 3: class 0, 0.6 (far away)
  ];
  const scores = [0.8, 0.9, 0.7, 0.6];
  assert.deepEqual(nms(boxes, scores, 0.45, { classes: [0, 0, 1, 0] }), [1, 2, 3]);
  assert.deepEqual(nms(boxes, scores, 0.45), [1, 3]);
  assert.deepEqual(nms(boxes, scores, 0.7, { classes: [0, 0, 1, 0] }), [1, 0, 2, 3]);
  assert.deepEqual(nms(boxes, scores, 0.45, { classes: [0, 0, 1, 0], maxDetections: 2 }), [1, 2]);
  assert.deepEqual(nms([], [], 0.5), []);
  assert.throws(() => nms([0, 0, 1], [1], 0.5), InputError);
});

// ---------------------------------------------------------------------------------------------
// decodeYolo on a hand-made output
// ---------------------------------------------------------------------------------------------

const NAMES = ["alpha", "beta's", "gamma"];
const NAMES_META = `{0: 'alpha', 1: "beta's", 2: 'gamma'}`;

/** Anchors in network pixels (input 8x8): [cx, cy, w, h, class, score]. */
const ANCHORS: [number, number, number, number, number, number][] = [
  [2, 4, 2, 2, 0, 0.9], // a0: kept
  [2.2, 4, 2, 2, 0, 0.8], // a1: IoU 0.82 with a0, same class -> suppressed
  [2, 4, 2, 2, 1, 0.7], // a2: same box as a0 but class 1 -> kept
  [4, 4, 2, 2, 2, 0.2], // a3: below the confidence threshold
  [6, 4, 2, 2, 0, 0.6], // a4: far from a0 -> kept
  [7.5, 5, 3, 2, 2, 0.5], // a5: sticks out of the image -> clipped
  [3.5, 4, 2, 2, 1, 0.3], // a6: IoU 0.14 with a2 -> kept
];
const NC = 3;
const DIMS = [1, 4 + NC, ANCHORS.length];

function outputOf(anchors: typeof ANCHORS): Float32Array {
  const n = anchors.length;
  const out = new Float32Array((4 + NC) * n);
  anchors.forEach(([cx, cy, w, h, cls, score], i) => {
    out[i] = cx;
    out[n + i] = cy;
    out[2 * n + i] = w;
    out[3 * n + i] = h;
    for (let c = 0; c < NC; c++) out[(4 + c) * n + i] = c === cls ? score : 0.01 * (c + 1);
  });
  return out;
}

// A 16x8 frame letterboxed into 8x8: scale 0.5, padY 2, so frame = (v - pad) * 2.
const WIDE = { scale: 0.5, padX: 0, padY: 2, frameWidth: 16, frameHeight: 8 };
const EXPECTED_WIDE: Detection[] = [
  { cls: 0, name: "alpha", score: 0.9, box: [2, 2, 6, 6] },
  { cls: 1, name: "beta's", score: 0.7, box: [2, 2, 6, 6] },
  { cls: 0, name: "alpha", score: 0.6, box: [10, 2, 14, 6] },
  { cls: 2, name: "gamma", score: 0.5, box: [12, 4, 16, 8] },
  { cls: 1, name: "beta's", score: 0.3, box: [5, 2, 9, 6] },
];

Deno.test("decodeYolo: threshold, class-wise NMS and mapping through the letterbox", () => {
  const dets = decodeYolo(outputOf(ANCHORS), DIMS, { ...WIDE, names: NAMES });
  assert.deepEqual(dets, EXPECTED_WIDE);
});

Deno.test("decodeYolo: confidence, class filter by id and name, maxDetections", () => {
  const out = outputOf(ANCHORS);
  const opts = { ...WIDE, names: NAMES };
  assert.deepEqual(
    decodeYolo(out, DIMS, { ...opts, confidence: 0.55 }).map((d) => d.score),
    [0.9, 0.7, 0.6],
  );
  assert.deepEqual(
    decodeYolo(out, DIMS, { ...opts, classes: ["beta's"] }),
    EXPECTED_WIDE.filter((d) => d.cls === 1),
  );
  assert.deepEqual(
    decodeYolo(out, DIMS, { ...opts, classes: [2, "alpha"] }),
    EXPECTED_WIDE.filter((d) => d.cls !== 1),
  );
  assert.deepEqual(decodeYolo(out, DIMS, { ...opts, maxDetections: 2 }), EXPECTED_WIDE.slice(0, 2));
  // the confidence threshold is exclusive, as in Ultralytics
  assert.equal(decodeYolo(out, DIMS, { ...opts, confidence: 0.9 }).length, 0);
  assert.throws(() => decodeYolo(out, DIMS, { ...opts, classes: ["zeta"] }), InputError);
});

Deno.test("decodeYolo: no letterbox options keeps network pixels; default names are COCO", () => {
  const dets = decodeYolo(outputOf(ANCHORS), DIMS);
  assert.deepEqual(dets[0], { cls: 0, name: "person", score: 0.9, box: [1, 3, 3, 5] });
  assert.deepEqual(dets[3].box, [6, 4, 9, 6]); // not clipped
  const more = decodeYolo(outputOf(ANCHORS), DIMS, { names: ["only"] });
  assert.equal(more[1].name, "class1");
});

Deno.test("decodeYolo: tall frame mapping (horizontal padding) and clipping at 0", () => {
  // an 8x16 frame in 8x8: scale 0.5, 4x8, padX 2
  const anchors: typeof ANCHORS = [[3, 1, 2, 4, 0, 0.9]]; // (2, -1, 4, 3)
  const dets = decodeYolo(outputOf(anchors), [1, 7, 1], {
    scale: 0.5,
    padX: 2,
    padY: 0,
    frameWidth: 8,
    frameHeight: 16,
    names: NAMES,
  });
  assert.deepEqual(dets, [{ cls: 0, name: "alpha", score: 0.9, box: [0, 0, 4, 6] }]);
});

Deno.test("decodeYolo: rejects shapes it cannot decode", () => {
  assert.throws(() => decodeYolo(new Float32Array(10), [1, 10]), InputError);
  assert.throws(() => decodeYolo(new Float32Array(10), [2, 5, 1]), InputError);
  assert.throws(() => decodeYolo(new Float32Array(4), [1, 5, 1]), InputError);
  assert.deepEqual(decodeYolo(new Float32Array(0), [1, 84, 0]), []);
});

// ---------------------------------------------------------------------------------------------
// names and metadata
// ---------------------------------------------------------------------------------------------

Deno.test("parseNames: Python dict literals, JSON, lists and gaps", () => {
  assert.deepEqual(parseNames("{0: 'person', 1: 'bicycle'}"), ["person", "bicycle"]);
  assert.deepEqual(parseNames(NAMES_META), NAMES);
  assert.deepEqual(parseNames(`{"0": "a", "1": "b\\"c"}`), ["a", 'b"c']);
  assert.deepEqual(parseNames("['x', \"y\",]"), ["x", "y"]);
  assert.deepEqual(parseNames("{1: 'b', 3: 'd'}"), ["class0", "b", "class2", "d"]);
  assert.deepEqual(parseNames(" {\n 0 : 'caf\\xe9' ,\n 1: 'it\\'s' } "), ["café", "it's"]);
  assert.deepEqual(parseNames("{}"), []);
  for (const bad of ["", "0: 'a'", "{0: a}", "{0: 'a'", "{'x': 'a'}", "{0: 'a'} extra"]) {
    assert.throws(() => parseNames(bad), SyntaxError, bad);
  }
});

Deno.test("readOnnxMetadata: reads metadata_props and skips the graph", () => {
  const bytes = constantOutputModel(new Float32Array(7), [1, 7, 1], 8, {
    names: NAMES_META,
    imgsz: "[8, 8]",
    note: "ünïcode",
  });
  assert.deepEqual(readOnnxMetadata(bytes), {
    names: NAMES_META,
    imgsz: "[8, 8]",
    note: "ünïcode",
  });
  const bare = encodeModel({
    graph: {
      nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
      inputs: [{ name: "x", shape: [1] }],
      outputs: [{ name: "y", shape: [1] }],
    },
  });
  assert.deepEqual(readOnnxMetadata(bare), {});
  assert.throws(() => readOnnxMetadata(bytes.subarray(0, bytes.length - 3)), InputError);
  assert.equal(COCO_NAMES.length, 80);
  assert.equal(COCO_NAMES[2], "car");
});

// ---------------------------------------------------------------------------------------------
// YoloDetector on a tiny hand-built model
// ---------------------------------------------------------------------------------------------

async function withTinyModel(
  fn: (path: string, bytes: Uint8Array) => Promise<void>,
  metadata: Record<string, string> = { names: NAMES_META },
): Promise<void> {
  const bytes = constantOutputModel(outputOf(ANCHORS), DIMS, 8, metadata);
  const path = await Deno.makeTempFile({ prefix: "yolo_test_", suffix: ".onnx" });
  try {
    await Deno.writeFile(path, bytes);
    await fn(path, bytes);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("YoloDetector: tiny model, wide and tall frames, names from metadata", async () => {
  await withTinyModel(async (path) => {
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: path });
      assert.deepEqual(yolo.names, NAMES);
      assert.deepEqual(yolo.inputSize, [8, 8]);
      const wide = frameOf(16, 8, "bgr24", () => [1, 2, 3]);
      assert.deepEqual(await yolo.run([wide]), EXPECTED_WIDE);
      // several frames: only the newest is used
      const tall = frameOf(8, 16, "gray", () => [9]);
      const dets = await yolo.run([wide, tall]);
      // 8x16 in 8x8: scale 0.5, padX 2 -> frame x = (v - 2) * 2, y = v * 2, clipped to 8x16
      assert.deepEqual(dets[0], { cls: 0, name: "alpha", score: 0.9, box: [0, 6, 2, 10] });
      assert.deepEqual(dets[2].box, [6, 6, 8, 10]);
    } finally {
      await yolo.dispose();
    }
    await yolo.dispose(); // twice is fine
  });
});

Deno.test("YoloDetector: options confidence, iou and classes; model given as bytes", async () => {
  await withTinyModel(async (_path, bytes) => {
    const yolo = new YoloDetector("things");
    assert.equal(yolo.name, "things");
    try {
      await yolo.init({ model: bytes, confidence: 0.4, classes: ["gamma", 0] });
      const wide = frameOf(16, 8, "rgb24", () => [0, 0, 0]);
      assert.deepEqual(
        await yolo.run([wide]),
        EXPECTED_WIDE.filter((d) => d.cls !== 1 && d.score > 0.4),
      );
      await yolo.init({ model: bytes, iou: 0.9 }); // re-init replaces the session
      const dets = await yolo.run([wide]);
      assert.deepEqual(dets.map((d) => d.score), [0.9, 0.8, 0.7, 0.6, 0.5, 0.3]);
    } finally {
      await yolo.dispose();
    }
  });
});

Deno.test("YoloDetector: falls back to COCO names without metadata", async () => {
  await withTinyModel(async (path) => {
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: path });
      assert.deepEqual(yolo.names, COCO_NAMES);
      const dets = await yolo.run([frameOf(8, 8, "rgb24", () => [5, 5, 5])]);
      assert.equal(dets[0].name, "person");
    } finally {
      await yolo.dispose();
    }
  }, {});
});

Deno.test("YoloDetector: clear errors for bad options and models", async () => {
  const yolo = new YoloDetector();
  const rejects = async (options: unknown, pattern: RegExp) => {
    await assert.rejects(() => yolo.init(options as never), (e: unknown) => {
      assert.ok(e instanceof PluginError, `${e}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  };
  await rejects(undefined, /option 'model' is required/);
  await rejects({}, /option 'model' is required/);
  await rejects({ model: "/nonexistent/yolo.onnx" }, /model not found: \/nonexistent\/yolo\.onnx/);
  await rejects({ model: 42 }, /must be a path/);
  await rejects({ model: new Uint8Array([1, 2, 3]) }, /cannot load model bytes/);
  await withTinyModel(async (path) => {
    await rejects({ model: path, confidence: 2 }, /'confidence' must be a number in \[0, 1\]/);
    await rejects({ model: path, iou: "x" }, /'iou' must be a number/);
    await rejects({ model: path, imgsz: 640 }, /fixed at \[8, 8\]/);
    await rejects({ model: path, classes: ["nope"] }, /unknown class name "nope"/);
    await rejects({ model: path, classes: "car" }, /'classes' must be a list/);
  });
  await assert.rejects(() => yolo.run([]), PluginError); // not initialised
  await yolo.dispose();
});

Deno.test("YoloDetector: run() checks its frames", async () => {
  await withTinyModel(async (path) => {
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: path });
      await assert.rejects(() => yolo.run([]), InputError);
      const f = frameOf(8, 8, "rgb24", () => [0, 0, 0]);
      await assert.rejects(() => yolo.run([{ ...f, data: f.data.subarray(5) }]), InputError);
    } finally {
      await yolo.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real model (opt-in)
// ---------------------------------------------------------------------------------------------

const REAL_MODEL = Deno.env.get("STREAM_INFER_TEST_MODEL") ?? "";
const CLIP = new URL("../../shared/media/car-detection.mp4", import.meta.url);
if (!REAL_MODEL) {
  console.log(
    "yolo_test: set STREAM_INFER_TEST_MODEL=/path/to/yolov8n.onnx to run the real-model test",
  );
}

async function clipExists(): Promise<boolean> {
  try {
    return (await Deno.stat(CLIP)).isFile;
  } catch {
    return false;
  }
}

/** Decodes one frame at `seconds` as bgr24 with the library's own producer. */
async function decodeFrame(path: string, seconds: number): Promise<Frame> {
  const info = await probe(path);
  for await (const frame of new FFmpegProducer().read(path, { info, position: seconds })) {
    return cloneFrame(frame);
  }
  throw new Error(`no frame at ${seconds} s in ${path}`);
}

Deno.test({
  name: "YoloDetector: real model finds cars in car-detection.mp4 at 5 s",
  ignore: !REAL_MODEL,
  fn: async (t) => {
    if (!(await clipExists())) {
      console.log(`yolo_test: ${CLIP.pathname} is missing; skipping`);
      return;
    }
    const frame = await decodeFrame(CLIP.pathname, 5);
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: REAL_MODEL });
      assert.deepEqual(yolo.inputSize, [640, 640]);
      assert.equal(yolo.names[2], "car");
      const dets = await yolo.run([frame]);
      console.log(
        `yolo_test: ${dets.length} detections:`,
        dets.slice(0, 5).map((d) => `${d.name} ${d.score} [${d.box}]`).join("; "),
      );
      assert.ok(dets.some((d) => d.name === "car" && d.score > 0.5), "a car with score > 0.5");
      for (const d of dets) {
        const [x1, y1, x2, y2] = d.box;
        assert.ok(0 <= x1 && x1 <= x2 && x2 <= frame.width, `box inside the frame: ${d.box}`);
        assert.ok(0 <= y1 && y1 <= y2 && y2 <= frame.height, `box inside the frame: ${d.box}`);
        assert.ok(d.score > 0.25 && d.score <= 1);
        assert.equal(d.name, yolo.names[d.cls]);
      }
      // NMS runs before clipping and 0.1 px rounding (as Ultralytics), hence the small slack
      for (let i = 0; i < dets.length; i++) {
        for (let j = i + 1; j < dets.length; j++) {
          if (dets[i].cls !== dets[j].cls) continue;
          assert.ok(iou(dets[i].box, dets[j].box) <= 0.45 + 0.01, `overlap ${i}/${j}`);
        }
      }
      await t.step("gray and rgb24 frames work too", async () => {
        const rgb = new Uint8Array(frame.data.length);
        const gray = new Uint8Array(frame.width * frame.height);
        for (let p = 0, q = 0; q < gray.length; p += 3, q++) {
          rgb[p] = frame.data[p + 2];
          rgb[p + 1] = frame.data[p + 1];
          rgb[p + 2] = frame.data[p];
          gray[q] = (frame.data[p] * 29 + frame.data[p + 1] * 150 + frame.data[p + 2] * 77) >> 8;
        }
        const fromRgb = await yolo.run([{ ...frame, data: rgb, format: "rgb24" }]);
        assert.deepEqual(fromRgb, dets);
        const fromGray = await yolo.run([{ ...frame, data: gray, format: "gray" }]);
        assert.ok(fromGray.some((d) => d.name === "car"));
      });
    } finally {
      await yolo.dispose();
    }
  },
});

Deno.test({
  name: "YoloDetector: two sources interleaved through one instance give each source's detections",
  ignore: !REAL_MODEL,
  fn: async () => {
    if (!(await clipExists())) {
      console.log(`yolo_test: ${CLIP.pathname} is missing; skipping`);
      return;
    }
    // two "sources": frames of the clip at different times, one of them shrunk to another size
    const a: Frame[] = [];
    const b: Frame[] = [];
    for (const t of [3, 5, 7]) {
      a.push({ ...(await decodeFrame(CLIP.pathname, t)), source: "a" });
      const f = await decodeFrame(CLIP.pathname, t + 10);
      const w = f.width >> 1, h = f.height >> 1;
      const data = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          data.set(
            f.data.subarray(((2 * y) * f.width + 2 * x) * 3, ((2 * y) * f.width + 2 * x) * 3 + 3),
            (y * w + x) * 3,
          );
        }
      }
      b.push({ ...f, data, width: w, height: h, source: "b" });
    }
    const yolo = new YoloDetector();
    try {
      await yolo.init({ model: REAL_MODEL, confidence: 0.1 });
      const aloneA = [];
      for (const f of a) aloneA.push(await yolo.run([f]));
      const aloneB = [];
      for (const f of b) aloneB.push(await yolo.run([f]));
      assert.ok(aloneA.some((d) => d.length > 0) && aloneB.some((d) => d.length > 0));
      const mixedA = [];
      const mixedB = [];
      for (let i = 0; i < a.length; i++) {
        mixedA.push(await yolo.run([a[i]]));
        mixedB.push(await yolo.run([b[i]]));
      }
      assert.deepEqual(mixedA, aloneA);
      assert.deepEqual(mixedB, aloneB);
    } finally {
      await yolo.dispose();
    }
  },
});

Deno.test({
  name: "YOLO pipeline: two instances give the very detections of one, frame by frame",
  ignore: !REAL_MODEL,
  fn: async () => {
    if (!(await clipExists())) {
      console.log(`yolo_test: ${CLIP.pathname} is missing; skipping`);
      return;
    }
    await withTempDir(async (dir) => {
      // 2 s from 4 s on (25 frames, cars in view), every frame detected
      const clip = `${dir}/clip.mkv`;
      await ffmpeg(["-ss", "4", "-i", CLIP.pathname, "-t", "2", "-an", "-c:v", "ffv1", clip]);
      const detect = async (instances: number) => {
        const inference = new Inference();
        try {
          await inference.loadAlgo(new URL("../plugins/yolo/mod.ts", import.meta.url), {
            name: "yolo",
            frameCount: 1,
            frameStep: 0,
            interval: 0.08,
            options: { model: REAL_MODEL },
            permissions: { ffi: true, read: [REAL_MODEL] },
            instances,
          });
          const player = new Player(new FFmpegProducer(), clip);
          const summary = await inference.start(player, { mode: "offline" });
          assert.equal(summary.algos.yolo.errors, 0);
          return inference.dispatcher.getResults("yolo").map((r) => [r.frame, r.result]);
        } finally {
          await inference.dispose();
        }
      };
      const one = await detect(1);
      assert.equal(one.length, 25);
      assert.ok(one.some(([, dets]) => (dets as Detection[]).length > 0), "something detected");
      assert.deepEqual(await detect(2), one);
    });
  },
});
