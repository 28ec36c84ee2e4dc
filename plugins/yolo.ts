/**
 * A YOLOv8 / YOLO11 object detector on onnxruntime-node, plus the pure pieces it is made of
 * (letterbox pre-processing, output decoding, NMS, ONNX metadata reading) for reuse.
 *
 * The detector expects an Ultralytics ONNX export: one float32 input `[1, 3, H, W]` (RGB,
 * 0..1, NCHW) and one float32 output `[1, 4 + nc, N]` (per anchor: cx, cy, w, h, then `nc`
 * class scores). Class names come from the model's `names` metadata entry, with the 80 COCO
 * names as a fallback.
 *
 * Running the detector needs `--allow-read` (the model) and `--allow-ffi` (onnxruntime's
 * Node-API addon, loaded on the first `init`); importing this module needs neither.
 *
 * @example
 * ```ts
 * import YoloDetector from "./yolo.ts";
 *
 * const yolo = new YoloDetector();
 * await yolo.init({ model: "./yolov8n.onnx", confidence: 0.4, classes: ["car", "truck"] });
 * const frame = {
 *   data: new Uint8Array(640 * 360 * 3),
 *   width: 640,
 *   height: 360,
 *   format: "bgr24" as const,
 *   index: 0,
 *   time: 0,
 * };
 * const detections = await yolo.run([frame]);
 * for (const d of detections) console.log(d.name, d.score, d.box);
 * await yolo.dispose();
 * ```
 *
 * @module
 */
import type * as ort from "onnxruntime-node";
import { type AlgoContext, BaseAlgo } from "../src/algo/algo.ts";
import { InputError, PluginError } from "../src/errors.ts";
import {
  channelsOf,
  type Frame,
  frameBytes,
  PIXEL_FORMATS,
  type PixelFormat,
} from "../src/frame.ts";

export type { BaseAlgo } from "../src/algo/algo.ts";
export type { Frame, PixelFormat } from "../src/frame.ts";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * One detected object, in the pixel coordinates of the frame it was found in.
 *
 * @example
 * ```ts
 * import type { Detection } from "./yolo.ts";
 * const d: Detection = { cls: 2, name: "car", score: 0.87, box: [10.5, 20, 110, 80.2] };
 * const [x1, y1, x2, y2] = d.box;
 * console.log(d.name, (x2 - x1) * (y2 - y1));
 * ```
 */
export interface Detection {
  /** Class id (index into the model's class names). */
  cls: number;
  /** Class name, from the model metadata (or COCO, or `class<id>`). */
  name: string;
  /** Confidence: the best class score, rounded to 4 decimals. */
  score: number;
  /** Box corners `[x1, y1, x2, y2]` in frame pixels, clipped to the frame, rounded to 0.1 px. */
  box: [number, number, number, number];
}

/**
 * Options of {@link YoloDetector.init}.
 *
 * @example
 * ```ts
 * import type { YoloOptions } from "./yolo.ts";
 * const opts: YoloOptions = { model: "./yolov8n.onnx", confidence: 0.3, iou: 0.5, classes: [0, "car"] };
 * ```
 */
export interface YoloOptions {
  /** Path (or `file:` URL) of the `.onnx` model, or the model's bytes. Required. */
  model: string | Uint8Array;
  /** Minimum best-class score a box needs (exclusive), in [0, 1]. Default 0.25. */
  confidence?: number;
  /** IoU above which a lower-scored box of the same class is suppressed, in [0, 1]. Default 0.45. */
  iou?: number;
  /** Keep only these classes (ids or names). Default: all classes. */
  classes?: readonly (number | string)[];
  /**
   * Network input size, `n` (square) or `[height, width]`. Default: the model's static input
   * shape; for dynamic models the `imgsz` metadata entry, else 640. Must match a static shape and
   * be a multiple of 32 for a dynamic one.
   */
  imgsz?: number | readonly [number, number];
  /** Most detections returned per frame. Default 300. */
  maxDetections?: number;
  /**
   * onnxruntime intra-op threads. Default: onnxruntime's choice (one per physical core) for
   * a single instance; with `instances: N`, the logical cores divided by N (at least 1), so
   * that parallel instances do not fight over the cores.
   */
  threads?: number;
  /**
   * When onnxruntime's intra-op threads spin (busy-wait) for work instead of sleeping:
   * `true` (default, onnxruntime's own default) between and during runs: fastest when the
   * model has the cores to itself; `"run"` only during a run (they stop spinning when a run
   * ends), which frees the cores for decoding and pre-processing between runs; `false`
   * never (slower runs, least CPU).
   */
  spinning?: boolean | "run";
}

/**
 * What {@link letterbox} returns: the network input and how the frame was placed in it.
 *
 * @example
 * ```ts
 * import { letterbox, type LetterboxResult } from "./yolo.ts";
 * const frame = { data: new Uint8Array(16 * 8 * 3), width: 16, height: 8, format: "rgb24" as const };
 * const lb: LetterboxResult = letterbox(frame, 8);
 * console.log(lb.scale, lb.padX, lb.padY); // 0.5 0 2
 * ```
 */
export interface LetterboxResult {
  /** NCHW float32 RGB pixels in 0..1, `3 * height * width` values. */
  tensor: Float32Array;
  /** Scale applied to the frame (network pixels per frame pixel). */
  scale: number;
  /** Columns of grey padding left of the resized frame. */
  padX: number;
  /** Rows of grey padding above the resized frame. */
  padY: number;
  /** Network input width. */
  width: number;
  /** Network input height. */
  height: number;
}

/**
 * The part of a {@link Frame} that {@link letterbox} reads.
 *
 * @example
 * ```ts
 * import type { ImageLike } from "./yolo.ts";
 * const img: ImageLike = { data: new Uint8Array(4), width: 2, height: 2, format: "gray" };
 * ```
 */
export interface ImageLike {
  /** Packed, row-major pixels. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel layout of `data`. */
  format: PixelFormat;
}

/**
 * Options of {@link decodeYolo}. All are optional; without the letterbox geometry, boxes stay
 * in network pixels and are not clipped.
 *
 * @example
 * ```ts
 * import type { DecodeOptions } from "./yolo.ts";
 * const opts: DecodeOptions = { confidence: 0.25, iou: 0.45, scale: 0.5, padX: 0, padY: 2 };
 * ```
 */
export interface DecodeOptions {
  /** Minimum best-class score (exclusive). Default 0.25. */
  confidence?: number;
  /** NMS IoU threshold. Default 0.45. */
  iou?: number;
  /** Keep only these classes (ids, or names looked up in `names`). Default: all. */
  classes?: readonly (number | string)[] | null;
  /** Letterbox scale to undo. Default 1. */
  scale?: number;
  /** Letterbox horizontal padding to undo. Default 0. */
  padX?: number;
  /** Letterbox vertical padding to undo. Default 0. */
  padY?: number;
  /** Frame width to clip boxes to. Default: no clipping. */
  frameWidth?: number;
  /** Frame height to clip boxes to. Default: no clipping. */
  frameHeight?: number;
  /** Class names by id. Default: {@link COCO_NAMES}. Ids beyond it are named `class<id>`. */
  names?: readonly string[];
  /** Most detections returned. Default 300. */
  maxDetections?: number;
}

/**
 * Options of {@link nms}.
 *
 * @example
 * ```ts
 * import type { NmsOptions } from "./yolo.ts";
 * const opts: NmsOptions = { classes: [0, 0, 1], maxDetections: 100 };
 * ```
 */
export interface NmsOptions {
  /** Class of each box; boxes only suppress boxes of their own class. Default: class-agnostic. */
  classes?: ArrayLike<number> | null;
  /** Stop after keeping this many boxes. Default 300. */
  maxDetections?: number;
}

// ---------------------------------------------------------------------------------------------
// Class names
// ---------------------------------------------------------------------------------------------

/**
 * The 80 COCO class names, in the order YOLO models trained on COCO use.
 *
 * @example
 * ```ts
 * import { COCO_NAMES } from "./yolo.ts";
 * console.log(COCO_NAMES[2]); // "car"
 * ```
 */
export const COCO_NAMES: readonly string[] = Object.freeze([
  "person",
  "bicycle",
  "car",
  "motorcycle",
  "airplane",
  "bus",
  "train",
  "truck",
  "boat",
  "traffic light",
  "fire hydrant",
  "stop sign",
  "parking meter",
  "bench",
  "bird",
  "cat",
  "dog",
  "horse",
  "sheep",
  "cow",
  "elephant",
  "bear",
  "zebra",
  "giraffe",
  "backpack",
  "umbrella",
  "handbag",
  "tie",
  "suitcase",
  "frisbee",
  "skis",
  "snowboard",
  "sports ball",
  "kite",
  "baseball bat",
  "baseball glove",
  "skateboard",
  "surfboard",
  "tennis racket",
  "bottle",
  "wine glass",
  "cup",
  "fork",
  "knife",
  "spoon",
  "bowl",
  "banana",
  "apple",
  "sandwich",
  "orange",
  "broccoli",
  "carrot",
  "hot dog",
  "pizza",
  "donut",
  "cake",
  "chair",
  "couch",
  "potted plant",
  "bed",
  "dining table",
  "toilet",
  "tv",
  "laptop",
  "mouse",
  "remote",
  "keyboard",
  "cell phone",
  "microwave",
  "oven",
  "toaster",
  "sink",
  "refrigerator",
  "book",
  "clock",
  "vase",
  "scissors",
  "teddy bear",
  "hair drier",
  "toothbrush",
]);

/**
 * Parses the class names an Ultralytics export stores in its `names` metadata entry: a Python
 * dict literal such as `{0: 'person', 1: "driver's seat"}`. Also accepts JSON objects
 * (`{"0": "person"}`) and lists (`['person', 'car']`). Gaps in the ids are named `class<id>`.
 *
 * @throws {SyntaxError} when the text is not such a literal.
 * @example
 * ```ts
 * import { parseNames } from "./yolo.ts";
 * console.log(parseNames("{0: 'person', 1: \"rider's bike\", 3: 'car'}"));
 * // ["person", "rider's bike", "class2", "car"]
 * ```
 */
export function parseNames(text: string): string[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`names: ${what} at offset ${i} of ${JSON.stringify(text.slice(0, 80))}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') fail("expected a quoted string");
    i++;
    let out = "";
    while (i < text.length && text[i] !== q) {
      const ch = text[i++];
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const e = text[i++];
      const hex = (n: number): string => {
        const h = text.slice(i, i + n);
        if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) fail("bad escape");
        i += n;
        return String.fromCodePoint(parseInt(h, 16));
      };
      switch (e) {
        case "n":
          out += "\n";
          break;
        case "t":
          out += "\t";
          break;
        case "r":
          out += "\r";
          break;
        case "0":
          out += "\0";
          break;
        case "x":
          out += hex(2);
          break;
        case "u":
          out += hex(4);
          break;
        case "U":
          out += hex(8);
          break;
        case "\\":
        case "'":
        case '"':
        case "/":
          out += e;
          break;
        default:
          if (e === undefined) fail("unterminated string");
          out += "\\" + e; // Python keeps unknown escapes verbatim
      }
    }
    if (i >= text.length) fail("unterminated string");
    i++;
    return out;
  };
  const key = (): number => {
    let raw: string;
    if (text[i] === "'" || text[i] === '"') raw = str().trim();
    else {
      const m = /^-?\d+/.exec(text.slice(i, i + 20));
      if (!m) return fail("expected an integer key");
      raw = m[0];
      i += raw.length;
    }
    if (!/^\d+$/.test(raw)) fail(`bad class id ${JSON.stringify(raw)}`);
    const id = Number(raw);
    if (id > 1_000_000) fail(`class id ${id} too large`);
    return id;
  };

  const byId = new Map<number, string>();
  ws();
  const open = text[i];
  if (open !== "{" && open !== "[") fail("expected '{' or '['");
  const close = open === "{" ? "}" : "]";
  i++;
  ws();
  let n = 0;
  while (text[i] !== close) {
    if (i >= text.length) fail(`missing '${close}'`);
    let id = n;
    if (open === "{") {
      id = key();
      ws();
      if (text[i] !== ":") fail("expected ':'");
      i++;
      ws();
    }
    byId.set(id, str());
    n++;
    ws();
    if (text[i] === ",") {
      i++;
      ws();
    } else if (text[i] !== close) fail(`expected ',' or '${close}'`);
  }
  i++;
  ws();
  if (i < text.length) fail("trailing characters");
  let size = 0;
  for (const id of byId.keys()) size = Math.max(size, id + 1);
  const names: string[] = new Array(size);
  for (let c = 0; c < size; c++) names[c] = byId.get(c) ?? `class${c}`;
  return names;
}

function nameOf(names: readonly string[], cls: number): string {
  return names[cls] ?? `class${cls}`;
}

function resolveClasses(
  classes: readonly (number | string)[],
  names: readonly string[],
): Set<number> {
  const out = new Set<number>();
  for (const c of classes) {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 0) {
        throw new InputError(`classes: ${c} is not a class id (integer >= 0)`);
      }
      out.add(c);
    } else if (typeof c === "string") {
      const id = names.indexOf(c);
      if (id < 0) {
        const sample = names.slice(0, 8).join(", ");
        throw new InputError(
          `classes: unknown class name ${JSON.stringify(c)} (the model has: ${sample}${
            names.length > 8 ? ", ..." : ""
          })`,
        );
      }
      out.add(id);
    } else {
      throw new InputError(`classes: expected class ids or names, got ${JSON.stringify(c)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ONNX metadata (ModelProto.metadata_props, read without decoding the graph)
// ---------------------------------------------------------------------------------------------

const METADATA_FIELD = 14; // ModelProto.metadata_props: repeated StringStringEntryProto
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Reads a base-128 varint at `pos`; returns [value, next position]. Exact up to 2^53. */
function varint(b: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) throw new InputError("ONNX: truncated varint");
    const byte = b[pos++];
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return [value, pos];
    mul *= 128;
  }
  throw new InputError("ONNX: malformed varint");
}

/** One protobuf field: where it ends, and its value (varint) or payload `[start, end)`. */
interface Field {
  field: number;
  wire: number;
  /** The value of a varint field (wire type 0), else 0. */
  value: number;
  /** Where the payload starts (for other than length-delimited fields: `end`). */
  start: number;
  /** Past the whole field. Not checked against the end of the message. */
  end: number;
}

/** Reads the header of one protobuf field at `pos` (and the value of a varint field). */
function fieldHeader(b: Uint8Array, pos: number, end: number): Field {
  const [tag, p] = varint(b, pos, end);
  const field = Math.floor(tag / 8);
  const wire = tag % 8;
  switch (wire) {
    case 0: {
      const [value, q] = varint(b, p, end);
      return { field, wire, value, start: q, end: q };
    }
    case 1:
      return { field, wire, value: 0, start: p + 8, end: p + 8 };
    case 2: {
      const [len, q] = varint(b, p, end);
      return { field, wire, value: 0, start: q, end: q + len };
    }
    case 5:
      return { field, wire, value: 0, start: p + 4, end: p + 4 };
    default:
      throw new InputError(`ONNX: unsupported protobuf wire type ${wire} (field ${field})`);
  }
}

/**
 * The fields of the message in `b[pos, end)`, in order. Stops at `end`; a field reaching past
 * `end` is still yielded (each caller decides what a truncated field means).
 */
function* fields(b: Uint8Array, pos: number, end: number): Generator<Field> {
  while (pos < end) {
    const f = fieldHeader(b, pos, end);
    yield f;
    pos = f.end;
  }
}

/** The payload of a length-delimited field, as UTF-8 text. */
function fieldText(b: Uint8Array, f: Field): string {
  return utf8.decode(b.subarray(f.start, f.end));
}

/** Decodes the StringStringEntryProto {key = 1, value = 2} in `b[pos, end)`. */
function metadataEntry(b: Uint8Array, pos: number, end: number): [string, string] {
  let key = "";
  let value = "";
  for (const f of fields(b, pos, end)) {
    if (f.wire !== 2) continue;
    if (f.end > end) throw new InputError("ONNX: truncated metadata entry");
    if (f.field === 1) key = fieldText(b, f);
    else if (f.field === 2) value = fieldText(b, f);
  }
  return [key, value];
}

/**
 * Reads the `metadata_props` (key/value strings) of a serialized ONNX ModelProto. Only the
 * top-level fields are walked: the graph and its tensors are skipped, not decoded.
 *
 * @throws {InputError} when the bytes are not a well-formed protobuf message.
 * @example
 * ```ts
 * import { parseNames, readOnnxMetadata } from "./yolo.ts";
 * const meta = readOnnxMetadata(await Deno.readFile("./yolov8n.onnx"));
 * console.log(meta.imgsz, parseNames(meta.names ?? "{}").length);
 * ```
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields(bytes, 0, bytes.length)) {
    if (f.end > bytes.length) {
      throw new InputError(
        f.wire === 2 ? `ONNX: truncated field ${f.field}` : "ONNX: truncated message",
      );
    }
    if (f.field === METADATA_FIELD && f.wire === 2) {
      const [k, v] = metadataEntry(bytes, f.start, f.end);
      out[k] = v;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compact outputs: the best class of each anchor, computed by onnxruntime
// ---------------------------------------------------------------------------------------------

/** Names of the outputs {@link withCompactOutputs} adds. */
const COMPACT_BOXES = "stream_infer.boxes";
const COMPACT_SCORES = "stream_infer.best_score";
const COMPACT_CLASSES = "stream_infer.best_class";
const COMPACT_OUTPUTS = [COMPACT_BOXES, COMPACT_SCORES, COMPACT_CLASSES];

/** A minimal protobuf writer, for the few ONNX messages {@link withCompactOutputs} adds. */
class ProtoWriter {
  readonly bytes: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }

  int(field: number, v: number | bigint): this {
    return this.varint(field * 8).varint(v);
  }

  raw(field: number, data: ArrayLike<number>): this {
    this.varint(field * 8 + 2).varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
    return this;
  }

  string(field: number, text: string): this {
    return this.raw(field, utf8Encoder.encode(text));
  }

  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.raw(field, inner.bytes);
  }
}

/** The default-domain opset and the first graph output's name of a serialized ModelProto. */
function modelOutline(bytes: Uint8Array): { opset: number; output: string } | null {
  let opset = 0;
  let output: string | null = null;
  for (const f of fields(bytes, 0, bytes.length)) {
    if (f.wire !== 2) continue;
    if (f.end > bytes.length) return null;
    if (f.field === 8) {
      // OperatorSetIdProto { domain = 1, version = 2 }
      let domain = "";
      let version = 0;
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field === 1 && g.wire === 2) domain = fieldText(bytes, g);
        else if (g.field === 2 && g.wire === 0) version = g.value;
      }
      if (domain === "" || domain === "ai.onnx") opset = Math.max(opset, version);
    } else if (f.field === 7 && output === null) {
      // GraphProto: the first output (field 12), a ValueInfoProto whose name is field 1
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field !== 12 || g.wire !== 2) continue;
        for (const v of fields(bytes, g.start, g.end)) {
          if (v.field === 1 && v.wire === 2) {
            output = fieldText(bytes, v);
            break;
          }
        }
        if (output !== null) break;
      }
    }
  }
  return output === null ? null : { opset, output };
}

/**
 * Extends a YOLO model whose first output is `[1, 4 + nc, N]` with three outputs computed from
 * it: the boxes `[1, 4, N]`, each anchor's best class score `[1, 1, N]` (float32) and that
 * class `[1, 1, N]` (int32; the first one on ties). Fetching only those, a run hands over
 * about 20 bytes per anchor instead of `4 * (4 + nc)`, and onnxruntime finds the best
 * classes instead of JavaScript. The extra graph is appended as a second `graph` field,
 * which protobuf parsers merge into the first (repeated fields are concatenated), so the
 * model itself is not re-encoded. Returns `null` when the bytes are not a model it can
 * extend (opset < 11, no graph output).
 */
function withCompactOutputs(model: Uint8Array): Uint8Array | null {
  let outline;
  try {
    outline = modelOutline(model);
  } catch {
    return null;
  }
  if (!outline || outline.opset < 11) return null;
  const source = outline.output;
  const p = "stream_infer.";
  const int64 = (name: string, value: bigint) => (w: ProtoWriter) => {
    const raw = new Uint8Array(8);
    new DataView(raw.buffer).setBigInt64(0, value, true);
    w.int(1, 1).int(2, 7).string(8, name).raw(9, raw); // dims [1], INT64, name, raw_data
  };
  const node =
    (op: string, inputs: string[], outputs: string[], attrs: [string, number][] = []) =>
    (w: ProtoWriter) => {
      for (const i of inputs) w.string(1, i);
      for (const o of outputs) w.string(2, o);
      w.string(3, `${p}${op}_${outputs[0]}`).string(4, op);
      for (const [name, i] of attrs) w.message(5, (a) => a.string(1, name).int(3, i).int(20, 2));
    };
  const output = (name: string, elemType: number) => (w: ProtoWriter) =>
    w.string(1, name).message(2, (t) => t.message(1, (tt) => tt.int(1, elemType)));
  const graph = new ProtoWriter()
    .message(1, node("Slice", [source, `${p}zero`, `${p}four`, `${p}one`], [COMPACT_BOXES]))
    .message(1, node("Slice", [source, `${p}four`, `${p}end`, `${p}one`], [`${p}class_scores`]))
    .message(
      1,
      node("ArgMax", [`${p}class_scores`], [`${p}argmax`], [["axis", 1], ["keepdims", 1]]),
    )
    .message(
      1,
      node("GatherElements", [`${p}class_scores`, `${p}argmax`], [COMPACT_SCORES], [["axis", 1]]),
    )
    .message(1, node("Cast", [`${p}argmax`], [COMPACT_CLASSES], [["to", 6]]))
    .message(5, int64(`${p}zero`, 0n))
    .message(5, int64(`${p}one`, 1n))
    .message(5, int64(`${p}four`, 4n))
    .message(5, int64(`${p}end`, 0x7fffffffffffffffn))
    .message(12, output(COMPACT_BOXES, 1))
    .message(12, output(COMPACT_SCORES, 1))
    .message(12, output(COMPACT_CLASSES, 6));
  const extra = new ProtoWriter().raw(7, graph.bytes).bytes;
  const out = new Uint8Array(model.length + extra.length);
  out.set(model);
  out.set(extra, model.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Letterbox
// ---------------------------------------------------------------------------------------------

const PAD = 114 / 255;
const INV255 = 1 / 255;
const U8_TO_UNIT = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / 255;
  return t;
})();

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface ResizeTables {
  /** Byte offset of the left / right source pixel of each destination column. */
  x0: Int32Array;
  x1: Int32Array;
  /** Weight of the right source pixel of each destination column. */
  wx: Float32Array;
  /** Byte offset of the upper / lower source row of each destination row. */
  y0: Int32Array;
  y1: Int32Array;
  /** Weights (scaled by 1/255) of the upper / lower source row of each destination row. */
  wy0: Float32Array;
  wy1: Float32Array;
}

const tableCache = new Map<string, ResizeTables>();

/** One axis of an OpenCV-style INTER_LINEAR resize (half-pixel centres, clamped edges). */
function axisTable(src: number, dst: number, stride: number) {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    let lo = Math.floor(s);
    if (lo > src - 1) lo = src - 1;
    const f = s - lo;
    i0[d] = lo * stride;
    i1[d] = Math.min(lo + 1, src - 1) * stride;
    w[d] = f;
  }
  return { i0, i1, w };
}

function resizeTables(
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  channels: number,
): ResizeTables {
  const key = `${sw}x${sh}>${dw}x${dh}/${channels}`;
  let t = tableCache.get(key);
  if (t) return t;
  const x = axisTable(sw, dw, channels);
  const y = axisTable(sh, dh, sw * channels);
  const wy0 = new Float32Array(dh);
  const wy1 = new Float32Array(dh);
  for (let d = 0; d < dh; d++) {
    wy0[d] = (1 - y.w[d]) * INV255;
    wy1[d] = y.w[d] * INV255;
  }
  t = { x0: x.i0, x1: x.i1, wx: x.w, y0: y.i0, y1: y.i1, wy0, wy1 };
  if (tableCache.size >= 8) tableCache.delete(tableCache.keys().next().value!);
  tableCache.set(key, t);
  return t;
}

function sizeOf(imgsz: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof imgsz === "number" ? [imgsz, imgsz] : imgsz;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new InputError(`imgsz must be a positive integer or [height, width] (got ${imgsz})`);
  }
  return [h, w];
}

/**
 * Letterboxes a frame into a YOLO input tensor, as Ultralytics does: scale by
 * `min(H / height, W / width)`, resize (bilinear) to `round(width * scale) x round(height *
 * scale)`, centre on a grey (114) canvas, and write RGB planes (NCHW) of values in 0..1.
 * Accepts `bgr24`, `rgb24` and `gray` frames. Reuses `out` when it has the right length.
 * A frame that already has the target size is only converted, not resampled.
 *
 * @param frame The frame to convert.
 * @param imgsz Network input size: `n` for square, or `[height, width]`.
 * @param out Optional buffer of `3 * H * W` floats to write into.
 * @example
 * ```ts
 * import { letterbox } from "./yolo.ts";
 * const frame = { data: new Uint8Array(1280 * 720 * 3), width: 1280, height: 720, format: "bgr24" as const };
 * const { tensor, scale, padX, padY } = letterbox(frame, 640);
 * console.log(tensor.length, scale, padX, padY); // 1228800 0.5 0 140
 * ```
 */
export function letterbox(
  frame: ImageLike,
  imgsz: number | readonly [number, number],
  out?: Float32Array,
): LetterboxResult {
  const [H, W] = sizeOf(imgsz);
  const { data, width: sw, height: sh, format } = frame;
  if (!PIXEL_FORMATS.includes(format)) {
    throw new InputError(`letterbox: unsupported pixel format ${JSON.stringify(format)}`);
  }
  const C = channelsOf(format);
  const bytes = frameBytes(sw, sh, format);
  if (!(sw >= 1 && sh >= 1) || data.length < bytes) {
    throw new InputError(
      `letterbox: a ${sw}x${sh} ${format} frame needs ${bytes} bytes (got ${data.length})`,
    );
  }
  const plane = H * W;
  const tensor = out && out.length === 3 * plane ? out : new Float32Array(3 * plane);
  const scale = Math.min(H / sh, W / sw);
  const nw = Math.min(W, Math.max(1, roundHalfEven(sw * scale)));
  const nh = Math.min(H, Math.max(1, roundHalfEven(sh * scale)));
  const padX = Math.floor((W - nw) / 2);
  const padY = Math.floor((H - nh) / 2);

  const pR = tensor.subarray(0, plane);
  const pG = tensor.subarray(plane, 2 * plane);
  const pB = tensor.subarray(2 * plane, 3 * plane);
  const planes = [pR, pG, pB];
  const rOff = format === "bgr24" ? 2 : 0;
  const bOff = 2 - rOff;

  // Grey borders: whole rows above and below, then the left / right strips.
  if (nh < H) {
    for (const p of planes) {
      p.fill(PAD, 0, padY * W);
      p.fill(PAD, (padY + nh) * W, plane);
    }
  }
  if (nw < W) {
    for (let y = padY; y < padY + nh; y++) {
      const row = y * W;
      for (const p of planes) {
        p.fill(PAD, row, row + padX);
        p.fill(PAD, row + padX + nw, row + W);
      }
    }
  }

  if (nw === sw && nh === sh) {
    // No resampling: convert and transpose only.
    const lut = U8_TO_UNIT;
    for (let y = 0; y < sh; y++) {
      let o = (padY + y) * W + padX;
      let s = y * sw * C;
      if (C === 3) {
        for (let x = 0; x < sw; x++, o++, s += 3) {
          pR[o] = lut[data[s + rOff]];
          pG[o] = lut[data[s + 1]];
          pB[o] = lut[data[s + bOff]];
        }
      } else {
        for (let x = 0; x < sw; x++, o++, s++) {
          const v = lut[data[s]];
          pR[o] = v;
          pG[o] = v;
          pB[o] = v;
        }
      }
    }
  } else {
    const t = resizeTables(sw, sh, nw, nh, C);
    const { x0, x1, wx } = t;
    for (let y = 0; y < nh; y++) {
      const r0 = t.y0[y];
      const r1 = t.y1[y];
      const a0 = t.wy0[y];
      const a1 = t.wy1[y];
      let o = (padY + y) * W + padX;
      if (C === 3) {
        for (let x = 0; x < nw; x++, o++) {
          const f = wx[x];
          const w00 = a0 * (1 - f);
          const w01 = a0 * f;
          const w10 = a1 * (1 - f);
          const w11 = a1 * f;
          const p00 = r0 + x0[x];
          const p01 = r0 + x1[x];
          const p10 = r1 + x0[x];
          const p11 = r1 + x1[x];
          pR[o] = data[p00 + rOff] * w00 + data[p01 + rOff] * w01 + data[p10 + rOff] * w10 +
            data[p11 + rOff] * w11;
          pG[o] = data[p00 + 1] * w00 + data[p01 + 1] * w01 + data[p10 + 1] * w10 +
            data[p11 + 1] * w11;
          pB[o] = data[p00 + bOff] * w00 + data[p01 + bOff] * w01 + data[p10 + bOff] * w10 +
            data[p11 + bOff] * w11;
        }
      } else {
        for (let x = 0; x < nw; x++, o++) {
          const f = wx[x];
          const v = (data[r0 + x0[x]] * (1 - f) + data[r0 + x1[x]] * f) * a0 +
            (data[r1 + x0[x]] * (1 - f) + data[r1 + x1[x]] * f) * a1;
          pR[o] = v;
          pG[o] = v;
          pB[o] = v;
        }
      }
    }
  }
  return { tensor, scale, padX, padY, width: W, height: H };
}

// ---------------------------------------------------------------------------------------------
// Post-processing
// ---------------------------------------------------------------------------------------------

/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when the union is empty.
 *
 * @example
 * ```ts
 * import { iou } from "./yolo.ts";
 * console.log(iou([0, 0, 2, 2], [1, 0, 3, 2])); // 0.3333333333333333
 * ```
 */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return iouAt(a, 0, b, 0);
}

function iouAt(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ax1 = a[i], ay1 = a[i + 1], ax2 = a[i + 2], ay2 = a[i + 3];
  const bx1 = b[j], by1 = b[j + 1], bx2 = b[j + 2], by2 = b[j + 3];
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1) +
    Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression. Visits boxes by descending score and keeps a box unless it
 * overlaps an already kept box (of the same class, when `classes` is given) with an IoU above
 * `iouThreshold`.
 *
 * @param boxes Flat `[x1, y1, x2, y2, x1, y1, ...]`, 4 numbers per box.
 * @param scores One score per box.
 * @param iouThreshold Boxes overlapping a kept box by more than this are dropped.
 * @param options Per-box classes (class-wise NMS) and the most boxes to keep.
 * @returns Indices of the kept boxes, best first.
 * @example
 * ```ts
 * import { nms } from "./yolo.ts";
 * const boxes = [0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10];
 * console.log(nms(boxes, [0.9, 0.8, 0.7], 0.45, { classes: [0, 0, 1] })); // [0, 2]
 * ```
 */
export function nms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  iouThreshold: number,
  options: NmsOptions = {},
): number[] {
  const n = scores.length;
  if (boxes.length < n * 4) throw new InputError(`nms: ${n} scores need ${n * 4} box values`);
  const classes = options.classes ?? null;
  const maxDet = options.maxDetections ?? 300;
  const sorted: number[] = [];
  for (let k = 0; k < n; k++) sorted.push(k);
  // Stable: equal scores keep their input order.
  sorted.sort((p, q) => scores[q] - scores[p] || p - q);
  const keptByClass = new Map<number, number[]>();
  const kept: number[] = [];
  for (const k of sorted) {
    if (kept.length >= maxDet) break;
    const cls = classes ? classes[k] : 0;
    let group = keptByClass.get(cls);
    let suppressed = false;
    if (group) {
      for (const j of group) {
        if (iouAt(boxes, 4 * k, boxes, 4 * j) > iouThreshold) {
          suppressed = true;
          break;
        }
      }
    } else keptByClass.set(cls, group = []);
    if (!suppressed) {
      group.push(k);
      kept.push(k);
    }
  }
  return kept;
}

let flagged = new Uint8Array(0);
let bestScore = new Float32Array(0);
let bestClass = new Int32Array(0);

const MAX_NMS = 30000; // as Ultralytics: at most this many candidates enter NMS

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Decodes a YOLOv8 / YOLO11 detection output `[1, 4 + nc, N]` (per anchor, channel-first: cx,
 * cy, w, h, then nc class scores) into detections: best class per anchor, confidence filter
 * (strictly above), class filter, class-wise NMS, at most `maxDetections`, then boxes mapped
 * back through the letterbox (`(v - pad) / scale`), clipped to the frame and rounded to 0.1 px.
 *
 * @param output The output tensor's data.
 * @param dims Its shape, `[1, 4 + nc, N]`.
 * @param options Thresholds, class filter, letterbox geometry and names.
 * @returns Detections, best score first.
 * @example
 * ```ts
 * import { decodeYolo } from "./yolo.ts";
 * // one anchor, two classes: a 4x4 box centred at (4, 4), class 1 at 0.9
 * const out = new Float32Array([4, 4, 4, 4, 0.1, 0.9]);
 * const dets = decodeYolo(out, [1, 6, 1], { names: ["cat", "dog"], scale: 0.5, padY: 2 });
 * console.log(dets); // [{ cls: 1, name: "dog", score: 0.9, box: [4, 0, 12, 8] }]
 * ```
 */
export function decodeYolo(
  output: Float32Array,
  dims: readonly number[],
  options: DecodeOptions = {},
): Detection[] {
  const [nc, n] = outputShape(output, dims);
  return decodeFull(output, nc, n, decoding(options));
}

/**
 * Checks that `output` is a `[1, 4 + nc, N]` detection output (as {@link decodeYolo} expects)
 * and returns `[nc, N]`.
 */
function outputShape(output: Float32Array, dims: readonly number[]): [number, number] {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] < 5 || dims[2] < 0) {
    throw new InputError(
      `decodeYolo: expected an output of shape [1, 4 + classes, anchors] (got [${dims}])`,
    );
  }
  if (output.length < dims[1] * dims[2]) {
    throw new InputError(`decodeYolo: ${output.length} values for shape [${dims}]`);
  }
  return [dims[1] - 4, dims[2]];
}

/** {@link decodeYolo} on an output of `nc` classes and `n` anchors, checked by outputShape. */
function decodeFull(output: Float32Array, nc: number, n: number, d: Decoding): Detection[] {
  const conf = d.confidence;

  // An anchor is a candidate when its best class score is above `conf`, i.e. when any of its
  // class scores is: find those by scanning the class rows in memory order (one compare per
  // score), then take the best class of the few candidates only.
  if (flagged.length < n) flagged = new Uint8Array(n);
  const flags = flagged.subarray(0, n);
  flags.fill(0);
  let flaggedCount = 0;
  for (let c = 0; c < nc; c++) {
    const row = output.subarray((4 + c) * n, (5 + c) * n);
    for (let i = 0; i < n; i++) {
      if (row[i] > conf && flags[i] === 0) {
        flags[i] = 1;
        flaggedCount++;
      }
    }
  }
  if (flaggedCount === 0) return [];
  if (bestScore.length < n) {
    bestScore = new Float32Array(n);
    bestClass = new Int32Array(n);
  }
  const best = bestScore;
  const bestCls = bestClass;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) {
    if (flags[i] === 0) continue;
    let top = output[4 * n + i];
    let cls = 0;
    for (let c = 1, at = 5 * n + i; c < nc; c++, at += n) {
      if (output[at] > top) {
        top = output[at];
        cls = c;
      }
    }
    best[i] = top;
    bestCls[i] = cls;
    if (top > conf && (d.allowed === null || d.allowed.has(cls))) cand.push(i);
  }
  return detectionsOf(output, n, cand, best, bestCls, d);
}

/** {@link DecodeOptions} with the defaults applied and the class filter resolved. */
interface Decoding {
  confidence: number;
  iou: number;
  names: readonly string[];
  allowed: Set<number> | null;
  scale: number;
  padX: number;
  padY: number;
  frameWidth: number;
  frameHeight: number;
  maxDetections: number;
}

function decoding(options: DecodeOptions): Decoding {
  const names = options.names ?? COCO_NAMES;
  return {
    confidence: options.confidence ?? 0.25,
    iou: options.iou ?? 0.45,
    names,
    allowed: options.classes && options.classes.length
      ? resolveClasses(options.classes, names)
      : null,
    scale: options.scale ?? 1,
    padX: options.padX ?? 0,
    padY: options.padY ?? 0,
    frameWidth: options.frameWidth ?? Infinity,
    frameHeight: options.frameHeight ?? Infinity,
    maxDetections: options.maxDetections ?? 300,
  };
}

/**
 * Like {@link decodeYolo}, from the compact outputs of {@link withCompactOutputs}: `boxes`
 * `[1, 4, n]`, each anchor's best class score and that class. Same detections.
 */
function decodeCompact(
  boxes: Float32Array,
  scores: Float32Array,
  classes: Int32Array,
  d: Decoding,
): Detection[] {
  const n = scores.length;
  if (boxes.length < 4 * n || classes.length < n) {
    throw new PluginError("YoloDetector: the model's compact outputs do not match");
  }
  const conf = d.confidence;
  const cand: number[] = [];
  for (let i = 0; i < n; i++) {
    if (scores[i] > conf && (d.allowed === null || d.allowed.has(classes[i]))) cand.push(i);
  }
  return detectionsOf(boxes, n, cand, scores, classes, d);
}

/**
 * The end of decoding: at most {@link MAX_NMS} candidates (anchor indices, in order) by score,
 * class-wise NMS, boxes (`cx, cy, w, h` rows of `n` values at the start of `rows`) mapped back
 * through the letterbox, clipped and rounded.
 */
function detectionsOf(
  rows: Float32Array,
  n: number,
  candidates: number[],
  best: ArrayLike<number>,
  bestCls: ArrayLike<number>,
  d: Decoding,
): Detection[] {
  if (candidates.length === 0) return [];
  let cand = candidates;
  if (cand.length > MAX_NMS) {
    cand.sort((p, q) => best[q] - best[p] || p - q);
    cand = cand.slice(0, MAX_NMS);
  }
  const m = cand.length;
  const boxes = new Float32Array(4 * m);
  const scores = new Float32Array(m);
  const classes = new Uint16Array(m);
  for (let k = 0; k < m; k++) {
    const i = cand[k];
    const cx = rows[i];
    const cy = rows[n + i];
    const hw = rows[2 * n + i] / 2;
    const hh = rows[3 * n + i] / 2;
    boxes[4 * k] = cx - hw;
    boxes[4 * k + 1] = cy - hh;
    boxes[4 * k + 2] = cx + hw;
    boxes[4 * k + 3] = cy + hh;
    scores[k] = best[i];
    classes[k] = bestCls[i];
  }

  const kept = nms(boxes, scores, d.iou, { classes, maxDetections: d.maxDetections });
  const { padX, padY, scale, frameWidth: fw, frameHeight: fh } = d;
  const clip = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  return kept.map((k): Detection => {
    const cls = classes[k];
    return {
      cls,
      name: nameOf(d.names, cls),
      score: Math.round(scores[k] * 1e4) / 1e4,
      box: [
        round1(clip((boxes[4 * k] - padX) / scale, fw)),
        round1(clip((boxes[4 * k + 1] - padY) / scale, fh)),
        round1(clip((boxes[4 * k + 2] - padX) / scale, fw)),
        round1(clip((boxes[4 * k + 3] - padY) / scale, fh)),
      ],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The detector
// ---------------------------------------------------------------------------------------------

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | null = null;

/**
 * Loads onnxruntime-node on first use, so that importing this module (for its pure helpers, or
 * to check a plugin's shape) does not need `--allow-ffi`.
 */
function loadOrt(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node").catch((e) => {
    ortModule = null;
    const msg = e instanceof Error ? e.message : String(e);
    throw new PluginError(
      `YoloDetector: cannot load onnxruntime-node (it needs --allow-ffi): ${msg}`,
      { cause: e },
    );
  });
  return ortModule;
}

function checkUnit(name: string, v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
    throw new PluginError(`YoloDetector: option '${name}' must be a number in [0, 1] (got ${v})`);
  }
  return v;
}

function modelPath(model: string): string {
  if (!model.startsWith("file:")) return model;
  return decodeURIComponent(new URL(model).pathname);
}

/** Parses an Ultralytics `imgsz` metadata entry such as "[640, 640]". */
function metaImgsz(v: string | undefined): [number, number] | null {
  const nums = v?.match(/\d+/g)?.map(Number) ?? [];
  if (nums.length === 1 && nums[0] > 0) return [nums[0], nums[0]];
  if (nums.length === 2 && nums[0] > 0 && nums[1] > 0) return [nums[0], nums[1]];
  return null;
}

/**
 * onnxruntime session options, as {@link yoloSessionOptions} returns them (a subset of
 * onnxruntime's `InferenceSession.SessionOptions`).
 *
 * @example
 * ```ts
 * import type { YoloSessionOptions } from "./yolo.ts";
 * const opts: YoloSessionOptions = { graphOptimizationLevel: "all", intraOpNumThreads: 2 };
 * ```
 */
export interface YoloSessionOptions {
  /** Graph optimisations: always `"all"`. */
  graphOptimizationLevel: "all";
  /** Intra-op threads, when the `threads` option is set. */
  intraOpNumThreads?: number;
  /** Session config entries, nested by the dots of their keys. */
  extra?: { session: Record<string, unknown> };
}

/**
 * The onnxruntime session options {@link YoloDetector} creates its session with, from its
 * `threads` and `spinning` options and the number of instances running side by side
 * (exposed so that benchmarks can match them).
 *
 * @example
 * ```ts
 * import { yoloSessionOptions } from "./yolo.ts";
 * console.log(yoloSessionOptions({ threads: 2, spinning: "run" }));
 * // { graphOptimizationLevel: "all", intraOpNumThreads: 2,
 * //   extra: { session: { force_spinning_stop: "1" } } }
 * ```
 */
export function yoloSessionOptions(
  options: Pick<YoloOptions, "threads" | "spinning"> = {},
  instances = 1,
): YoloSessionOptions {
  // Session config entries (onnxruntime_session_options_config_keys.h): the Node binding
  // takes them nested, and joins the keys with dots.
  const session: Record<string, unknown> = {};
  if (options.spinning === false) session.intra_op = { allow_spinning: "0" };
  if (options.spinning === "run") session.force_spinning_stop = "1";
  const threads = options.threads ??
    (instances > 1
      ? Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / instances))
      : undefined);
  return {
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads } : {}),
    ...(Object.keys(session).length ? { extra: { session } } : {}),
  };
}

/**
 * A YOLOv8 / YOLO11 object detector running an Ultralytics ONNX export on onnxruntime-node
 * (CPU).
 *
 * `run(frames)` detects on the **newest** frame only (the last of `frames`), so use it with
 * `frameCount: 1`; with more frames the older ones are ignored. It returns that frame's
 * {@link Detection}s, best first. Calls must not overlap (the runtime runs each instance
 * serially); `session.run` blocks the calling thread while the model runs. It keeps no state
 * between runs, so `instances: 2` (two workers, each with half the cores) is safe, and on
 * CPUs it is faster than one session with all the cores.
 *
 * On loading, the model is extended with three small outputs (the boxes, each anchor's best
 * class score and that class, computed by onnxruntime) and only those are fetched, which is
 * cheaper than copying out and scanning the whole `[1, 4 + nc, N]` output; the detections are
 * the same as {@link decodeYolo}'s. Models that cannot be extended are decoded in JavaScript.
 *
 * @example
 * ```ts
 * import YoloDetector from "./yolo.ts";
 *
 * const yolo = new YoloDetector();
 * await yolo.init({ model: "./yolov8n.onnx", classes: ["person"] });
 * console.log(yolo.names.length, yolo.inputSize); // 80 [640, 640]
 * await yolo.dispose();
 * ```
 */
export default class YoloDetector extends BaseAlgo<YoloOptions, Detection[]> {
  #session: ort.InferenceSession | null = null;
  /** Whether the session has the compact outputs of withCompactOutputs. */
  #compact = false;
  #inputName = "images";
  #outputName = "output0";
  #size: [number, number] = [640, 640];
  #names: string[] = [...COCO_NAMES];
  /**
   * The decoding settings, without the letterbox geometry (which each run adds). Each `init`
   * updates them as it checks the options, and keeps `maxDetections` when not given.
   */
  #decoding: Decoding = decoding({});
  /** The input tensor; its data is the buffer `letterbox` reuses. */
  #tensor: ort.Tensor | null = null;
  #Tensor: Ort["Tensor"] | null = null;

  /** Class names by id (from the model metadata, else COCO). Valid after `init`. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** The network input size `[height, width]`. Valid after `init`. */
  get inputSize(): [number, number] {
    return [this.#size[0], this.#size[1]];
  }

  /**
   * Loads the model and checks the options.
   *
   * @throws {PluginError} on a missing or unreadable model, bad options or an unsupported model.
   */
  override async init(options: YoloOptions, context?: AlgoContext): Promise<void> {
    const opts = (options ?? {}) as Partial<YoloOptions>;
    const model = opts.model;
    if (model === undefined || model === null || model === "") {
      throw new PluginError(
        "YoloDetector: option 'model' is required (path to a YOLOv8/YOLO11 .onnx file)",
      );
    }
    if (typeof model !== "string" && !(model instanceof Uint8Array)) {
      throw new PluginError("YoloDetector: option 'model' must be a path or the model's bytes");
    }
    const d = this.#decoding;
    d.confidence = checkUnit("confidence", opts.confidence, 0.25);
    d.iou = checkUnit("iou", opts.iou, 0.45);
    if (opts.maxDetections !== undefined) {
      if (!Number.isInteger(opts.maxDetections) || opts.maxDetections < 1) {
        throw new PluginError("YoloDetector: option 'maxDetections' must be an integer >= 1");
      }
      d.maxDetections = opts.maxDetections;
    }
    if (
      opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)
    ) {
      throw new PluginError("YoloDetector: option 'threads' must be an integer >= 1");
    }
    if (opts.spinning !== undefined && ![true, false, "run"].includes(opts.spinning)) {
      throw new PluginError("YoloDetector: option 'spinning' must be true, false or \"run\"");
    }
    if (opts.classes !== undefined && !Array.isArray(opts.classes)) {
      throw new PluginError("YoloDetector: option 'classes' must be a list of ids or names");
    }

    // Load the model.
    let path = "";
    let bytes: Uint8Array | null = null;
    if (typeof model === "string") {
      path = modelPath(model);
      try {
        const st = await Deno.stat(path);
        if (!st.isFile) throw new PluginError(`YoloDetector: model is not a file: ${path}`);
      } catch (e) {
        if (e instanceof PluginError) throw e;
        if (e instanceof Deno.errors.NotFound) {
          throw new PluginError(`YoloDetector: model not found: ${path}`);
        }
        throw new PluginError(`YoloDetector: cannot read model ${path}: ${e}`, { cause: e });
      }
      bytes = await Deno.readFile(path).catch(() => null);
    } else bytes = model;
    const { InferenceSession, Tensor } = await loadOrt();
    this.#Tensor = Tensor;
    const sessionOptions = yoloSessionOptions(opts, context?.instances ?? 1);
    // First try the model extended with compact outputs (see withCompactOutputs); if that is
    // not possible, load it as it is (and report onnxruntime's own error if that fails too).
    const extended = bytes ? withCompactOutputs(bytes) : null;
    let session: ort.InferenceSession | null = null;
    if (extended) {
      session = await InferenceSession.create(extended, sessionOptions).catch(() => null);
    }
    let compact = session !== null;
    if (!session) {
      try {
        session = typeof model === "string"
          ? await InferenceSession.create(path, sessionOptions)
          : await InferenceSession.create(model, sessionOptions);
      } catch (e) {
        const what = path || "model bytes";
        const msg = e instanceof Error ? e.message : String(e);
        throw new PluginError(`YoloDetector: cannot load ${what}: ${msg}`, { cause: e });
      }
    }

    let meta: Record<string, string> = {};
    try {
      meta = bytes ? readOnnxMetadata(bytes) : {};
    } catch {
      // Not fatal: fall back to the COCO names.
    }
    try {
      this.#configure(session);
      const output = session.outputMetadata[0];
      compact &&= output.isTensor && output.shape.length === 3 &&
        COMPACT_OUTPUTS.every((name) => session.outputNames.includes(name));
      this.#applyMetadata(session, opts, meta);
    } catch (e) {
      await session.release();
      throw e;
    }
    if (this.#session) await this.#session.release();
    this.#session = session;
    this.#compact = compact;
  }

  /** Input / output names and types. */
  #configure(session: ort.InferenceSession): void {
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    if (!input || !output) {
      throw new PluginError("YoloDetector: the model needs one image input and one output");
    }
    if (input.isTensor && input.type !== "float32") {
      throw new PluginError(
        `YoloDetector: input '${input.name}' is ${input.type}; only float32 models are supported`,
      );
    }
    if (output.isTensor && output.type !== "float32") {
      throw new PluginError(
        `YoloDetector: output '${output.name}' is ${output.type}; only float32 models are supported`,
      );
    }
    if (input.isTensor && input.shape.length !== 4) {
      throw new PluginError(
        `YoloDetector: input '${input.name}' has shape [${input.shape}]; expected [1, 3, H, W]`,
      );
    }
    this.#inputName = input.name;
    this.#outputName = output.name;
  }

  /** Input size, names and the class filter (the decoding's `names` and `allowed`). */
  #applyMetadata(
    session: ort.InferenceSession,
    opts: Partial<YoloOptions>,
    meta: Record<string, string>,
  ): void {
    const input = session.inputMetadata[0];
    const shape = input.isTensor ? input.shape : [];
    const h = shape[2], w = shape[3];
    const fixed = typeof h === "number" && typeof w === "number" && h > 0 && w > 0;
    let size: [number, number];
    if (opts.imgsz !== undefined) {
      try {
        size = sizeOf(opts.imgsz);
      } catch (e) {
        throw new PluginError(`YoloDetector: option ${(e as Error).message}`);
      }
      if (fixed && (size[0] !== h || size[1] !== w)) {
        throw new PluginError(
          `YoloDetector: option 'imgsz' is [${size}] but the model's input is fixed at [${h}, ${w}]`,
        );
      }
      if (!fixed && (size[0] % 32 !== 0 || size[1] % 32 !== 0)) {
        throw new PluginError(
          `YoloDetector: option 'imgsz' must be a multiple of 32 (got [${size}])`,
        );
      }
    } else if (fixed) size = [h, w];
    else size = metaImgsz(meta.imgsz) ?? [640, 640];
    this.#size = size;

    let names: string[] | null = null;
    if (meta.names) {
      try {
        names = parseNames(meta.names);
      } catch {
        names = null;
      }
    }
    this.#names = names && names.length ? names : [...COCO_NAMES];

    const d = this.#decoding;
    d.names = this.#names;
    d.allowed = null;
    if (opts.classes && opts.classes.length) {
      try {
        d.allowed = resolveClasses(opts.classes, this.#names);
      } catch (e) {
        throw new PluginError(`YoloDetector: option ${(e as Error).message}`);
      }
    }
  }

  /**
   * Detects objects on the newest of `frames`.
   *
   * @throws {InputError} when no frame is given or a frame's data is too short.
   */
  async run(frames: Frame[]): Promise<Detection[]> {
    const session = this.#session;
    const Tensor = this.#Tensor;
    if (!session || !Tensor) throw new PluginError("YoloDetector: run() called before init()");
    const frame = frames[frames.length - 1];
    if (!frame) throw new InputError("YoloDetector: run() needs at least one frame");
    const [H, W] = this.#size;
    let tensor = this.#tensor;
    const lb = letterbox(frame, this.#size, tensor?.data as Float32Array | undefined);
    if (!tensor || lb.tensor !== tensor.data) {
      tensor = this.#tensor = new Tensor("float32", lb.tensor, [1, 3, H, W]);
    }
    const feeds = { [this.#inputName]: tensor };
    const d: Decoding = {
      ...this.#decoding,
      scale: lb.scale,
      padX: lb.padX,
      padY: lb.padY,
      frameWidth: frame.width,
      frameHeight: frame.height,
    };
    if (this.#compact) {
      // Only the compact outputs: onnxruntime hands over ~20 bytes per anchor, not 4 * (4 + nc).
      const result = await session.run(feeds, COMPACT_OUTPUTS);
      const boxes = result[COMPACT_BOXES]?.data;
      const scores = result[COMPACT_SCORES]?.data;
      const classes = result[COMPACT_CLASSES]?.data;
      if (
        !(boxes instanceof Float32Array) || !(scores instanceof Float32Array) ||
        !(classes instanceof Int32Array)
      ) {
        throw new PluginError("YoloDetector: the model's compact outputs have unexpected types");
      }
      return decodeCompact(boxes, scores, classes, d);
    }
    const result = await session.run(feeds);
    const out = result[this.#outputName];
    if (!out || out.type !== "float32" || !(out.data instanceof Float32Array)) {
      throw new PluginError(`YoloDetector: output '${this.#outputName}' is not a float32 tensor`);
    }
    const [nc, n] = outputShape(out.data, out.dims);
    return decodeFull(out.data, nc, n, d);
  }

  /** Releases the onnxruntime session. Safe to call twice. */
  override async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    this.#tensor = null;
    if (session) await session.release();
  }
}
