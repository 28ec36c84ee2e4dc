/**
 * {@link Annotator}: draws what the algorithms found onto a copy of a frame, so algorithms
 * never see annotated pixels.
 *
 * The call the recorder, restream and snapshots use:
 *
 * ```ts ignore
 * const annotator = new Annotator(options);          // AnnotatorOptions
 * const shown: Frame = annotator.draw(frame, latest); // latest: AlgoRecord[], newest per algo
 * // ... encode shown.data ...
 * annotator.release(shown);                          // its buffer goes back to the FramePool
 * ```
 *
 * `latest` is the newest record of each algorithm for `frame.source` ({@link LatestRecords}
 * keeps them). The default drawing: zones and lines from the options (with the counts of the
 * line or zone analytics of the same name), a labelled box per
 * detection ({@link boxesOf}: YOLO, motion, trackers), the overlay (source, time, fps), then the
 * user's `annotate(ctx)` hook.
 *
 * @module
 */
import { type Frame, positionOf } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import type { AlgoRecord } from "../record.ts";
import { Canvas, type Point } from "./canvas.ts";
import { colorFor, contrastColor } from "./color.ts";
import { LatestRecords } from "./latest.ts";
import type { Color } from "./pixels.ts";
import { boxesOf, type DrawnBox } from "./shapes.ts";
import { drawText, type TextBox, textHeight, type TextStyle } from "./text.ts";

/**
 * A zone (polygon) or a counting line (polyline) drawn on every frame.
 *
 * @example
 * ```ts
 * import type { Zone } from "@stream-infer/stream-infer";
 * const door: Zone = { points: [[100, 50], [300, 50], [300, 400], [100, 400]], label: "door", fillAlpha: 0.2 };
 * ```
 */
export interface Zone {
  /** Corners (a zone) or points along the line, in frame pixels. */
  points: readonly Point[];
  /**
   * Text drawn at the first point. It is also the name of the analytics (line or zone counter)
   * whose newest record's counts are shown beside it: a line's `in`/`out` totals, a zone's
   * occupancy.
   */
  label?: string;
  /** Colour (default: {@link colorFor} of the label, or of the index). */
  color?: Color;
  /** Zones only: opacity of the fill, in [0, 1] (default 0.2; 0 for none). */
  fillAlpha?: number;
}

/**
 * What the `annotate` hook receives.
 *
 * @example
 * ```ts
 * import type { AnnotateContext } from "@stream-infer/stream-infer";
 * const hook = (ctx: AnnotateContext) => {
 *   const motion = ctx.latest["motion"]?.result as { score: number } | undefined;
 *   if (motion) ctx.text(`motion ${motion.score}`, 4, ctx.frame.height - 20);
 * };
 * ```
 */
export interface AnnotateContext {
  /** The copy being drawn on (never the frame the algorithms got). */
  frame: Frame;
  /** Drawing primitives over `frame`. */
  canvas: Canvas;
  /** The records drawn for this frame: the newest per algorithm for its source. */
  records: readonly AlgoRecord[];
  /** The same records by algorithm name. */
  latest: Readonly<Record<string, AlgoRecord>>;
  /** Text scale in use. */
  scale: number;
  /** Line thickness in use. */
  thickness: number;
  /** Draws text in the built-in font at the annotator's scale (style overrides it). */
  text(text: string, x: number, y: number, style?: TextStyle): TextBox;
  /** Draws a box with a label the way the default annotator does. */
  box(box: readonly [number, number, number, number], label?: string, color?: Color): void;
}

/**
 * The user's drawing hook (the original's `annotate_frame`), called after the default drawing.
 *
 * @example
 * ```ts
 * import type { AnnotateHook } from "@stream-infer/stream-infer";
 * const hook: AnnotateHook = ({ canvas }) => canvas.line(0, 0, 100, 100, [255, 0, 0], 2);
 * ```
 */
export type AnnotateHook = (context: AnnotateContext) => void;

/**
 * Options of {@link Annotator}. Every key is optional.
 *
 * @example
 * ```ts
 * import type { AnnotatorOptions } from "@stream-infer/stream-infer";
 * const opts: AnnotatorOptions = { algos: ["det"], overlay: false, thickness: 3, maxAge: 2 };
 * ```
 */
export interface AnnotatorOptions {
  /** Draw the boxes found in results (default true). */
  boxes?: boolean;
  /** Label boxes with name, track and score (default true). */
  labels?: boolean;
  /** Draw the overlay: source id, time and fps (default true). */
  overlay?: boolean;
  /** Draw the results of these algorithms only (default: all). */
  algos?: readonly string[];
  /** Box and line thickness in pixels (default `max(2, round(height / 360))`). */
  thickness?: number;
  /** Whole-number text scale (default `max(1, round(height / 540))`). */
  textScale?: number;
  /** Zones drawn as translucent polygons on every frame. */
  zones?: readonly Zone[];
  /** Lines drawn as polylines on every frame. */
  lines?: readonly Zone[];
  /** Skip records older than this many seconds of frame time (default: keep the newest). */
  maxAge?: number;
  /** Your own drawing, after the default. */
  annotate?: AnnotateHook;
  /** The pool annotated copies are taken from (default: a pool of the annotator's own). */
  pool?: FramePool;
}

/**
 * What {@link Annotator.draw} may be told besides the records.
 *
 * @example
 * ```ts
 * import type { DrawInfo } from "@stream-infer/stream-infer";
 * const info: DrawInfo = { fps: 25 };
 * ```
 */
export interface DrawInfo {
  /** The fps shown in the overlay (default: measured from the frames' times). */
  fps?: number;
}

/**
 * Draws results onto copies of frames.
 *
 * @example
 * ```ts
 * import { Annotator, type Frame } from "@stream-infer/stream-infer";
 * const frame: Frame = { data: new Uint8Array(320 * 240 * 3), width: 320, height: 240, format: "bgr24", index: 0, source: "main", time: 0 };
 * const annotator = new Annotator({ annotate: (ctx) => ctx.text("hello", 10, 200) });
 * const shown = annotator.draw(frame, [
 *   { source: "main", algo: "det", frame: 0, time: 0, position: 0, result: [{ name: "car", score: 0.9, box: [40, 60, 200, 180] }] },
 * ]);
 * console.log(shown.data !== frame.data, frame.data.every((v) => v === 0)); // true true
 * annotator.release(shown);
 * ```
 */
export class Annotator {
  readonly #options: AnnotatorOptions;
  readonly #pool: FramePool;
  readonly #fps = new Map<string, { time: number; fps?: number }>();

  /** Creates an annotator; see {@link AnnotatorOptions}. */
  constructor(options: AnnotatorOptions = {}) {
    this.#options = { ...options };
    this.#pool = options.pool ?? new FramePool(4);
  }

  /**
   * An annotated copy of `frame` (its buffer from the pool; `frame` is not changed), given the
   * newest records of each algorithm for `frame.source`. Records of other sources are ignored.
   */
  draw(frame: Frame, records: readonly AlgoRecord[], info: DrawInfo = {}): Frame {
    const data = new Uint8Array(this.#pool.acquire(frame.data.byteLength));
    data.set(frame.data);
    const copy: Frame = { ...frame, data };
    this.drawOn(copy, records, info);
    return copy;
  }

  /** Draws on `frame` itself (for a frame that is already a copy). */
  drawOn(frame: Frame, records: readonly AlgoRecord[], info: DrawInfo = {}): void {
    const o = this.#options;
    const canvas = new Canvas(frame);
    const scale = Math.max(1, Math.round(o.textScale ?? frame.height / 540));
    const thickness = Math.max(1, Math.round(o.thickness ?? Math.max(2, frame.height / 360)));
    const fps = this.#measureFps(frame, info.fps);
    const shown = records.filter((r) =>
      r.source === frame.source && !(o.maxAge !== undefined && frame.time - r.time > o.maxAge)
    );
    const latest: Record<string, AlgoRecord> = {};
    for (const r of shown) latest[r.algo] = r;
    const style = { scale, thickness };
    this.#shapes(canvas, style, latest);
    if (o.boxes !== false) {
      for (const r of Object.values(latest)) {
        if (r.error !== undefined || (o.algos && !o.algos.includes(r.algo))) continue;
        for (const b of boxesOf(r.result)) this.#box(canvas, style, b.box, labelOf(b, r.algo), b);
      }
    }
    if (o.overlay !== false) overlay(canvas, scale, frame, fps);
    o.annotate?.({
      frame,
      canvas,
      records: Object.values(latest),
      latest,
      scale,
      thickness,
      text: (text, x, y, style) => drawText(canvas, text, x, y, { scale, ...style }),
      box: (box, label, color) => {
        this.#box(canvas, { scale, thickness }, box, label, {
          color: color ?? colorFor(label ?? ""),
        });
      },
    });
  }

  /** Gives an annotated frame's buffer back to the pool (do not use the frame afterwards). */
  release(frame: Frame): void {
    const { buffer, byteOffset, byteLength } = frame.data;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) {
      this.#pool.release(buffer);
    }
  }

  /**
   * A process hook for `new Inference(undefined, { process })`: it keeps the newest record of
   * each algorithm per source from the runs it sees and returns each frame's annotated copy,
   * so frame observers get annotated frames. A copy is valid until the hook's next call for
   * the same source (its buffer is then reused).
   *
   * @example
   * ```ts
   * import { Annotator, Inference } from "@stream-infer/stream-infer";
   * const inference = new Inference(undefined, { process: new Annotator().processHook() });
   * ```
   */
  processHook(): (context: { frame: Frame; ran: readonly AlgoRecord[] }) => Frame {
    const latest = new LatestRecords();
    const previous = new Map<string, Frame>();
    return ({ frame, ran }) => {
      for (const r of ran) latest.onRecord(r);
      const old = previous.get(frame.source);
      if (old) this.release(old);
      const shown = this.draw(frame, latest.of(frame.source));
      previous.set(frame.source, shown);
      return shown;
    };
  }

  #shapes(
    canvas: Canvas,
    { scale, thickness }: { scale: number; thickness: number },
    latest: Readonly<Record<string, AlgoRecord>>,
  ): void {
    const { zones = [], lines = [] } = this.#options;
    zones.forEach((z, i) => {
      const color = z.color ?? colorFor(z.label ?? `zone${i}`);
      const fillAlpha = z.fillAlpha ?? 0.2;
      canvas.polygon(z.points, {
        color,
        thickness,
        fill: fillAlpha > 0 ? color : undefined,
        fillAlpha,
      });
      if (z.label && z.points.length) {
        tag(canvas, scale, z.label + countsOf(latest[z.label]), z.points[0], color);
      }
    });
    lines.forEach((l, i) => {
      const color = l.color ?? colorFor(l.label ?? `line${i}`);
      canvas.polyline(l.points, color, thickness);
      if (l.label && l.points.length) {
        tag(canvas, scale, l.label + countsOf(latest[l.label]), l.points[0], color);
      }
    });
  }

  #box(
    canvas: Canvas,
    { scale, thickness }: { scale: number; thickness: number },
    box: readonly [number, number, number, number],
    label: string | undefined,
    key: { color?: Color; name?: string; track?: string | number },
  ): void {
    const color = key.color ??
      colorFor(key.track !== undefined ? `track:${key.track}` : key.name ?? label ?? "");
    const [x1, y1, x2, y2] = box.map(Math.round);
    canvas.rect(x1, y1, x2, y2, color, thickness);
    if (!label || this.#options.labels === false) return;
    const pad = scale;
    const h = textHeight(scale) + 2 * pad;
    const top = y1 - h >= 0 ? y1 - h : y1;
    drawText(canvas, label, x1 + pad, top + pad, {
      scale,
      color: contrastColor(color),
      background: color,
      padding: pad,
    });
  }

  #measureFps(frame: Frame, given: number | undefined): number | undefined {
    const seen = this.#fps.get(frame.source);
    let fps = seen?.fps;
    const dt = seen ? frame.time - seen.time : 0;
    if (dt > 0) fps = fps === undefined ? 1 / dt : 0.9 * fps + 0.1 / dt;
    if (!seen || dt > 0) this.#fps.set(frame.source, { time: frame.time, fps });
    return given ?? fps;
  }
}

/** A box's label: name (or the algorithm's), `#track`, score with two decimals. */
function labelOf(b: DrawnBox, algo: string): string {
  const parts = [b.name ?? algo];
  if (b.track !== undefined) parts.push(`#${b.track}`);
  if (b.score !== undefined) parts.push(b.score.toFixed(2));
  return parts.join(" ");
}

/**
 * The counts an analytics record named like a line or zone carries, as label text: a line's
 * `counts` (per class `{ in, out }`) as `  in N  out M`, a zone's `occupancy` (per class) as
 * `  N inside`; `""` for anything else.
 */
function countsOf(record: AlgoRecord | undefined): string {
  const r = record?.error === undefined ? record?.result : undefined;
  if (typeof r !== "object" || r === null) return "";
  const { counts, occupancy } = r as { counts?: unknown; occupancy?: unknown };
  const sum = (values: unknown[]) =>
    values.reduce<number>((n, v) => n + (typeof v === "number" && Number.isFinite(v) ? v : 0), 0);
  if (typeof occupancy === "object" && occupancy !== null) {
    return `  ${sum(Object.values(occupancy))} inside`;
  }
  if (typeof counts === "object" && counts !== null) {
    const dirs = Object.values(counts) as { in?: unknown; out?: unknown }[];
    if (dirs.every((d) => typeof d === "object" && d !== null && "in" in d)) {
      return `  in ${sum(dirs.map((d) => d.in))}  out ${sum(dirs.map((d) => d.out))}`;
    }
  }
  return "";
}

/** A small label at a point (zones and lines). */
function tag(canvas: Canvas, scale: number, text: string, [x, y]: Point, color: Color): void {
  drawText(canvas, text, x + scale, y + scale, {
    scale,
    color: contrastColor(color),
    background: color,
    padding: scale,
  });
}

/** The overlay at the top left: source id, time (and whole-second position), fps. */
function overlay(canvas: Canvas, scale: number, frame: Frame, fps: number | undefined): void {
  const parts = [frame.source, `${frame.time.toFixed(2)}s (${positionOf(frame.time)})`];
  if (fps !== undefined && Number.isFinite(fps)) parts.push(`${fps.toFixed(1)} fps`);
  const text = parts.join("  ");
  const pad = 2 * scale;
  drawText(canvas, text, pad, pad, {
    scale,
    background: [0, 0, 0],
    backgroundAlpha: 0.6,
    padding: pad,
  });
}
