/**
 * The public types of the YOLO plugin: detections, detector and decoding options, and what the
 * letterbox reads and returns.
 *
 * @module
 */
import type { PixelFormat } from "../../mod.ts";

/**
 * One detected object, in the pixel coordinates of the frame it was found in.
 *
 * @example
 * ```ts
 * import type { Detection } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import type { YoloOptions } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import { letterbox, type LetterboxResult } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import type { ImageLike } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import type { DecodeOptions } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import type { NmsOptions } from "@stream-infer/stream-infer/plugins/yolo";
 * const opts: NmsOptions = { classes: [0, 0, 1], maxDetections: 100 };
 * ```
 */
export interface NmsOptions {
  /** Class of each box; boxes only suppress boxes of their own class. Default: class-agnostic. */
  classes?: ArrayLike<number> | null;
  /** Stop after keeping this many boxes. Default 300. */
  maxDetections?: number;
}
