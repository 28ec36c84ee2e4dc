/**
 * Intersection over union and greedy, class-wise non-maximum suppression.
 *
 * @module
 */
import { InputError } from "../../mod.ts";
import type { NmsOptions } from "./types.ts";

/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when the union is empty.
 *
 * @example
 * ```ts
 * import { iou } from "@stream-infer/stream-infer/plugins/yolo";
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
 * import { nms } from "@stream-infer/stream-infer/plugins/yolo";
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
