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
 * The module's default export is the detector, so this file is also the plugin to load by path
 * (`plugins/yolo/mod.ts`).
 *
 * @example
 * ```ts
 * import YoloDetector from "@stream-infer/stream-infer/plugins/yolo";
 *
 * const yolo = new YoloDetector();
 * await yolo.init({ model: "./yolov8n.onnx", confidence: 0.4, classes: ["car", "truck"] });
 * const frame = {
 *   data: new Uint8Array(640 * 360 * 3),
 *   width: 640,
 *   height: 360,
 *   format: "bgr24" as const,
 *   index: 0,
 *   source: "main",
 *   time: 0,
 * };
 * const detections = await yolo.run([frame]);
 * for (const d of detections) console.log(d.name, d.score, d.box);
 * await yolo.dispose();
 * ```
 *
 * @module
 */
export { default } from "./detector.ts";
export type {
  DecodeOptions,
  Detection,
  ImageLike,
  LetterboxResult,
  NmsOptions,
  YoloOptions,
} from "./types.ts";
export { COCO_NAMES, parseNames } from "./classes.ts";
export { readOnnxMetadata } from "./metadata.ts";
export { letterbox } from "./letterbox.ts";
export { iou, nms } from "./nms.ts";
export { decodeYolo } from "./decode.ts";
export { type YoloSessionOptions, yoloSessionOptions } from "./session.ts";
export type { AlgoContext, BaseAlgo, Frame, PixelFormat } from "../../mod.ts";

import type { PermissionDeclaration, PluginPermissions } from "../../mod.ts";

/**
 * What the detector needs in its sandboxed worker: `ffi` (onnxruntime's native addon) and
 * reading its model file (a path or `file:` URL in `options.model`). Granted by itself when the
 * config names the plugin `plugin: yolo`.
 *
 * @example
 * ```ts
 * import { permissions } from "@stream-infer/stream-infer/plugins/yolo";
 * console.log(permissions({ model: "/models/yolov8n.onnx" })); // { ffi: true, read: ["/models/yolov8n.onnx"] }
 * ```
 */
export const permissions: PermissionDeclaration = (options: unknown): PluginPermissions => {
  const model = (options as { model?: unknown } | undefined)?.model;
  if (typeof model !== "string") return { ffi: true };
  const path = /^file:/i.test(model) ? decodeURIComponent(new URL(model).pathname) : model;
  return { ffi: true, read: [path] };
};
