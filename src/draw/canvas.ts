/**
 * {@link Canvas}: drawing primitives over a {@link Frame}'s pixels, in place, clipped at the
 * frame's edges: filled rectangles (optionally translucent), rectangle outlines, lines,
 * polylines and polygons.
 *
 * Coordinates are frame pixels; a rectangle `[x1, y1, x2, y2]` covers the pixels
 * `x1 <= x < x2`, `y1 <= y < y2` (corners are rounded to whole pixels), like a detection box.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import { type Color, type Paint, type PixelWriter, writerFor } from "./pixels.ts";

/**
 * A point `[x, y]` in frame pixels.
 *
 * @example
 * ```ts
 * import type { Point } from "@stream-infer/stream-infer";
 * const p: Point = [120, 45.5];
 * ```
 */
export type Point = readonly [number, number];

/**
 * How {@link Canvas.polygon} draws.
 *
 * @example
 * ```ts
 * import type { PolygonStyle } from "@stream-infer/stream-infer";
 * const zone: PolygonStyle = { color: [0, 200, 255], thickness: 2, fill: [0, 200, 255], fillAlpha: 0.25 };
 * ```
 */
export interface PolygonStyle {
  /** Outline colour (default: no outline). */
  color?: Color;
  /** Outline thickness in pixels (default 1). */
  thickness?: number;
  /** Fill colour (default: no fill). */
  fill?: Color;
  /** Opacity of the fill, in (0, 1] (default 1). */
  fillAlpha?: number;
}

/**
 * Draws on a frame's pixels in place. Works on every format {@link writerFor} knows
 * (`bgr24`, `rgb24`, `gray`, and `yuv420p`/`nv12` where frames carry them); colours are RGB.
 *
 * @example
 * ```ts
 * import { Canvas, type Frame } from "@stream-infer/stream-infer";
 * const frame: Frame = { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, format: "bgr24", index: 0, source: "main", time: 0 };
 * const canvas = new Canvas(frame);
 * canvas.rect(10, 10, 40, 30, [0, 255, 0], 2);
 * canvas.fillRect(10, 2, 30, 10, [0, 255, 0], 0.5);
 * canvas.line(0, 47, 63, 0, [255, 0, 0]);
 * canvas.polygon([[5, 5], [20, 5], [12, 20]], { color: [255, 255, 0], fill: [255, 255, 0], fillAlpha: 0.3 });
 * ```
 */
export class Canvas {
  /** The frame drawn on. */
  readonly frame: Frame;
  /** Its width in pixels. */
  readonly width: number;
  /** Its height in pixels. */
  readonly height: number;
  readonly #writer: PixelWriter;

  /** Wraps `frame`; drawing changes `frame.data`. Throws for a format it cannot draw on. */
  constructor(frame: Frame) {
    this.frame = frame;
    this.width = frame.width;
    this.height = frame.height;
    this.#writer = writerFor(frame);
  }

  /** The colour as this frame's bytes, for the `*Paint` methods. */
  paint(color: Color): Paint {
    return this.#writer.paint(color);
  }

  /** Fills the rectangle `x1 <= x < x2`, `y1 <= y < y2`, blended with `alpha` in (0, 1]. */
  fillRect(x1: number, y1: number, x2: number, y2: number, color: Color, alpha = 1): void {
    this.fillRectPaint(x1, y1, x2, y2, this.#writer.paint(color), alpha);
  }

  /** {@link Canvas.fillRect} with a colour already converted by {@link Canvas.paint}. */
  fillRectPaint(x1: number, y1: number, x2: number, y2: number, paint: Paint, alpha = 1): void {
    if (!(alpha > 0)) return;
    const xa = Math.max(0, Math.round(x1));
    const xb = Math.min(this.width, Math.round(x2));
    const ya = Math.max(0, Math.round(y1));
    const yb = Math.min(this.height, Math.round(y2));
    if (!(xa < xb)) return; // also when a corner is NaN
    for (let y = ya; y < yb; y++) this.#writer.span(xa, xb, y, paint, alpha);
  }

  /**
   * Outlines the rectangle `x1 <= x < x2`, `y1 <= y < y2` with lines `thickness` pixels wide,
   * drawn inside it (a box never paints outside its own corners).
   */
  rect(x1: number, y1: number, x2: number, y2: number, color: Color, thickness = 1): void {
    const xa = Math.round(x1);
    const ya = Math.round(y1);
    const xb = Math.round(x2);
    const yb = Math.round(y2);
    if (!(xa < xb && ya < yb)) return;
    const t = Math.max(1, Math.round(thickness));
    const p = this.#writer.paint(color);
    if (2 * t >= xb - xa || 2 * t >= yb - ya) {
      this.fillRectPaint(xa, ya, xb, yb, p);
      return;
    }
    this.fillRectPaint(xa, ya, xb, ya + t, p);
    this.fillRectPaint(xa, yb - t, xb, yb, p);
    this.fillRectPaint(xa, ya + t, xa + t, yb - t, p);
    this.fillRectPaint(xb - t, ya + t, xb, yb - t, p);
  }

  /**
   * Draws a line between the pixels of two points (ends rounded, both ends included), by
   * Bresenham's algorithm. A thick line stacks `thickness` pixels across its main direction,
   * centred on it.
   */
  line(xa: number, ya: number, xb: number, yb: number, color: Color, thickness = 1): void {
    this.#line(xa, ya, xb, yb, this.#writer.paint(color), Math.max(1, Math.round(thickness)));
  }

  /** Draws the segments between consecutive points; `closed` joins the last to the first. */
  polyline(points: readonly Point[], color: Color, thickness = 1, closed = false): void {
    const p = this.#writer.paint(color);
    const t = Math.max(1, Math.round(thickness));
    const n = points.length;
    if (n === 1) this.#line(points[0][0], points[0][1], points[0][0], points[0][1], p, t);
    for (let i = 0; i + 1 < n; i++) {
      this.#line(points[i][0], points[i][1], points[i + 1][0], points[i + 1][1], p, t);
    }
    if (closed && n > 2) {
      this.#line(points[n - 1][0], points[n - 1][1], points[0][0], points[0][1], p, t);
    }
  }

  /**
   * Fills (even-odd rule: a pixel is inside when its centre is) and then outlines a polygon.
   * Without `color` there is no outline, without `fill` no fill.
   */
  polygon(points: readonly Point[], style: PolygonStyle): void {
    if (style.fill && points.length >= 3) {
      this.#fillPolygon(points, this.#writer.paint(style.fill), style.fillAlpha ?? 1);
    }
    if (style.color) this.polyline(points, style.color, style.thickness ?? 1, true);
  }

  #line(xa: number, ya: number, xb: number, yb: number, p: Paint, t: number): void {
    // Far-off ends are first clipped to a margin around the frame, so a line costs at most
    // the pixels it can show.
    const m = t + 2;
    const seg = clipSegment(xa, ya, xb, yb, -m, -m, this.width + m, this.height + m);
    if (!seg) return;
    let x = Math.round(seg[0]);
    let y = Math.round(seg[1]);
    const x1 = Math.round(seg[2]);
    const y1 = Math.round(seg[3]);
    const dx = Math.abs(x1 - x);
    const dy = -Math.abs(y1 - y);
    const sx = x < x1 ? 1 : -1;
    const sy = y < y1 ? 1 : -1;
    const before = (t - 1) >> 1;
    const wide = dx >= -dy;
    let err = dx + dy;
    for (;;) {
      if (wide) this.fillRectPaint(x, y - before, x + 1, y - before + t, p);
      else this.fillRectPaint(x - before, y, x - before + t, y + 1, p);
      if (x === x1 && y === y1) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  #fillPolygon(points: readonly Point[], p: Paint, alpha: number): void {
    let top = Infinity;
    let bottom = -Infinity;
    for (const [, y] of points) {
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
    const y0 = Math.max(0, Math.ceil(top - 0.5));
    const y1 = Math.min(this.height - 1, Math.floor(bottom - 0.5));
    const crossings: number[] = [];
    for (let y = y0; y <= y1; y++) {
      const yc = y + 0.5;
      crossings.length = 0;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [ax, ay] = points[j];
        const [bx, by] = points[i];
        if ((ay <= yc) !== (by <= yc)) crossings.push(ax + ((yc - ay) * (bx - ax)) / (by - ay));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const xa = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const xb = Math.min(this.width, Math.ceil(crossings[k + 1] - 0.5));
        if (xa < xb) this.#writer.span(xa, xb, y, p, alpha);
      }
    }
  }
}

/**
 * Liang-Barsky: the part of segment (xa, ya)-(xb, yb) inside the box, or `undefined` when none
 * is (or a coordinate is not finite).
 */
function clipSegment(
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  left: number,
  top: number,
  right: number,
  bottom: number,
): [number, number, number, number] | undefined {
  if (![xa, ya, xb, yb].every(Number.isFinite)) return undefined;
  const dx = xb - xa;
  const dy = yb - ya;
  let t0 = 0;
  let t1 = 1;
  const edges: [number, number][] = [[-dx, xa - left], [dx, right - xa], [-dy, ya - top], [
    dy,
    bottom - ya,
  ]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const r = q / p;
    if (p < 0) {
      if (r > t1) return undefined;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return undefined;
      if (r < t1) t1 = r;
    }
  }
  return [xa + t0 * dx, ya + t0 * dy, xa + t1 * dx, ya + t1 * dy];
}
