/**
 * The geometry of line and zone analytics: box anchors, which side of a line a point is on,
 * whether a step crosses a line, and whether a point is inside a polygon.
 *
 * @module
 */

/** A point `[x, y]` in frame pixels. */
export type Point = readonly [number, number];

/** A box `[x1, y1, x2, y2]` in frame pixels. */
export type Box = readonly [number, number, number, number];

/** The anchors a box can be reduced to. */
export const ANCHORS: readonly Anchor[] = [
  "bottom-center",
  "center",
  "top-center",
  "center-left",
  "center-right",
  "bottom-left",
  "bottom-right",
  "top-left",
  "top-right",
];

/**
 * The point of a box that analytics follow (`bottom-center`: where a car or a person touches
 * the ground, as DeepStream and Frigate use).
 *
 * @example
 * ```ts
 * import type { Anchor } from "@stream-infer/stream-infer";
 * const anchor: Anchor = "bottom-center";
 * ```
 */
export type Anchor =
  | "bottom-center"
  | "center"
  | "top-center"
  | "center-left"
  | "center-right"
  | "bottom-left"
  | "bottom-right"
  | "top-left"
  | "top-right";

/**
 * The anchor point of a box.
 *
 * @example
 * ```ts
 * import { anchorOf } from "./geometry.ts";
 * console.log(anchorOf([0, 0, 10, 20], "bottom-center")); // [5, 20]
 * ```
 */
export function anchorOf(box: Box, anchor: Anchor): [number, number] {
  const [x1, y1, x2, y2] = box;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  switch (anchor) {
    case "bottom-center":
      return [cx, y2];
    case "center":
      return [cx, cy];
    case "top-center":
      return [cx, y1];
    case "center-left":
      return [x1, cy];
    case "center-right":
      return [x2, cy];
    case "bottom-left":
      return [x1, y2];
    case "bottom-right":
      return [x2, y2];
    case "top-left":
      return [x1, y1];
    case "top-right":
      return [x2, y1];
  }
}

/** Twice the signed area of (a, b, p): > 0 when p is right of a→b on screen (y down). */
function cross(a: Point, b: Point, p: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

/**
 * Which side of a polyline a point is on, seen walking from its first point to its last, on
 * screen (y down): 1 right, -1 left, 0 on it. The segment nearest the point decides.
 *
 * @example
 * ```ts
 * import { sideOf } from "./geometry.ts";
 * console.log(sideOf([[0, 100], [200, 100]], [50, 150])); // 1 (below a line drawn left to right)
 * ```
 */
export function sideOf(line: readonly Point[], p: Point): -1 | 0 | 1 {
  let best = Infinity;
  let side = 0;
  for (let i = 0; i + 1 < line.length; i++) {
    const a = line[i], b = line[i + 1];
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0
      ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2))
      : 0;
    const qx = a[0] + t * dx - p[0], qy = a[1] + t * dy - p[1];
    const d = qx * qx + qy * qy;
    if (d < best) {
      best = d;
      side = Math.sign(cross(a, b, p));
    }
  }
  return side as -1 | 0 | 1;
}

/**
 * Whether the step from `p` to `q` crosses the polyline, and to which side: 1 when it ends
 * right of the segment it crosses, -1 left, 0 when it crosses none (the last crossing counts
 * when it crosses several). Touching the line is not crossing it.
 *
 * @example
 * ```ts
 * import { crossing } from "./geometry.ts";
 * console.log(crossing([[0, 100], [200, 100]], [50, 90], [52, 110])); // 1
 * console.log(crossing([[0, 100], [200, 100]], [250, 90], [250, 110])); // 0 (past its end)
 * ```
 */
export function crossing(line: readonly Point[], p: Point, q: Point): -1 | 0 | 1 {
  let result: -1 | 0 | 1 = 0;
  let at = -1;
  for (let i = 0; i + 1 < line.length; i++) {
    const a = line[i], b = line[i + 1];
    const sp = Math.sign(cross(a, b, p)), sq = Math.sign(cross(a, b, q));
    if (sq === 0 || sp === sq) continue; // ends on it or stays on one side: not (yet) across
    const sa = Math.sign(cross(p, q, a)), sb = Math.sign(cross(p, q, b));
    if (sa === sb && sa !== 0) continue; // the segment lies to one side of the step
    // where along the step it crosses, to keep the last crossing of a zig-zag line
    const t = cross(a, b, p) / (cross(a, b, p) - cross(a, b, q));
    if (t >= at) {
      at = t;
      result = sq as -1 | 1;
    }
  }
  return result;
}

/**
 * Whether a point is inside a polygon (even-odd rule; points on the edge may fall either
 * way).
 *
 * @example
 * ```ts
 * import { insidePolygon } from "./geometry.ts";
 * console.log(insidePolygon([[0, 0], [10, 0], [10, 10], [0, 10]], [5, 5])); // true
 * ```
 */
export function insidePolygon(polygon: readonly Point[], p: Point): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i], [xj, yj] = polygon[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}
