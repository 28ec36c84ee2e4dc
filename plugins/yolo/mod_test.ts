import assert from "node:assert/strict";
import { BaseAlgo } from "../../mod.ts";
import * as yolo from "./mod.ts";
import YoloDetector from "./detector.ts";

Deno.test("plugins/yolo/mod.ts: the detector is the default export, the helpers are named", () => {
  assert.deepEqual(Object.keys(yolo).sort(), [
    "COCO_NAMES",
    "decodeYolo",
    "default",
    "iou",
    "letterbox",
    "nms",
    "parseNames",
    "permissions",
    "readOnnxMetadata",
    "yoloSessionOptions",
  ]);
  assert.equal(yolo.default, YoloDetector);
  assert.equal(yolo.default.name, "YoloDetector");
  const detector = new yolo.default();
  assert.ok(detector instanceof BaseAlgo);
  assert.equal(detector.name, "YoloDetector");
});
