/**
 * {@link ResultsBoard}: what the dev UI's panels show, gathered as a run observer: each
 * algorithm's newest result (formatted by the `output` hook), a per-second timeline per
 * algorithm (detections, or an analytics entry's count), the analytics counters, each
 * source's progress, and the run's warnings and errors.
 *
 * @module
 */
import { boxesOf } from "../draw/shapes.ts";
import type { Frame } from "../frame.ts";
import type { AlgoEvent, RunObserver, RunStart, SourceEvent } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";

/**
 * Formats an algorithm's result for its panel (the original's `output` hook). Return text,
 * or anything else to have it shown as JSON.
 *
 * @example
 * ```ts
 * import type { OutputHook } from "./board.ts";
 * const output: OutputHook = (name, result) =>
 *   name === "motion" ? `score ${(result as { score: number }).score}` : result;
 * ```
 */
export type OutputHook = (name: string, result: unknown) => unknown;

/**
 * One algorithm's panel.
 *
 * @example
 * ```ts
 * import type { AlgoPanel } from "./board.ts";
 * const p: AlgoPanel = { output: "[]", frame: 12, time: 0.48, source: "main", runs: 3, series: [[0, 2]] };
 * ```
 */
export interface AlgoPanel {
  /** The newest result as text (or the error, `error: ...`). */
  output: string;
  /** Its frame index. */
  frame: number;
  /** Its time in the source, in seconds. */
  time: number;
  /** Its source. */
  source: string;
  /** Records seen. */
  runs: number;
  /** `[second of the run, value]`: detections in that second, or an analytics count. */
  series: [number, number][];
  /** For analytics entries: the counters (`in`/`out` of a line, `inside` of a zone). */
  counts?: Record<string, number>;
}

/**
 * One source's progress.
 *
 * @example
 * ```ts
 * import type { SourceProgress } from "./board.ts";
 * const p: SourceProgress = { position: 3.2, duration: 10, live: false, width: 1280, height: 720 };
 * ```
 */
export interface SourceProgress {
  /** Seconds into the source. */
  position: number;
  /** Its length, for a file. */
  duration?: number;
  /** Whether it is live (no length). */
  live: boolean;
  /** Played frame width. */
  width?: number;
  /** Played frame height. */
  height?: number;
}

/** Seconds of timeline kept per algorithm. */
const KEEP_SECONDS = 300;
/** Characters of a formatted result kept. */
const OUTPUT_CHARS = 4000;
/** Messages kept. */
const KEEP_MESSAGES = 50;

/**
 * The panels' data (see the module docs).
 *
 * @example
 * ```ts
 * import { ResultsBoard } from "./board.ts";
 * const board = new ResultsBoard();
 * board.onRecord({ source: "main", algo: "det", frame: 0, time: 0, position: 0, result: [{ box: [0, 0, 4, 4] }] });
 * console.log(board.panels().det.output); // [{"box":[0,0,4,4]}]
 * ```
 */
export class ResultsBoard implements RunObserver {
  readonly #output?: OutputHook;
  #panels: Record<string, AlgoPanel> = {};
  #sources: Record<string, SourceProgress> = {};
  #messages: string[] = [];
  #began = performance.now();

  /** Creates a board; `output` formats results for the panels. */
  constructor(output?: OutputHook) {
    this.#output = output;
  }

  /** A new run: the panels start empty. */
  onStart(start: RunStart): void {
    this.#panels = {};
    this.#sources = {};
    this.#began = performance.now();
    for (const algo of start.algos) this.#panel(algo);
  }

  /** Keeps a source's size and length, and its troubles. */
  onSource(event: SourceEvent): void {
    if (event.opened) {
      const { info, position } = event.opened;
      this.#sources[event.source] = {
        position,
        live: info.live,
        ...(typeof info.duration === "number" && !info.live ? { duration: info.duration } : {}),
        width: info.width,
        height: info.height,
      };
    }
    if (["failed", "lost", "warning", "interrupted"].includes(event.type)) {
      this.note(event.message);
    }
  }

  /** Keeps an algorithm's warnings. */
  onAlgo(event: AlgoEvent): void {
    this.note(event.message);
  }

  /** Updates the algorithm's panel. */
  onRecord(record: AlgoRecord): void {
    const panel = this.#panel(record.algo);
    panel.runs++;
    panel.frame = record.frame;
    panel.time = record.time;
    panel.source = record.source;
    this.#advance(record.source, record.time);
    if (record.error !== undefined) {
      panel.output = `error: ${record.error}`;
      return;
    }
    panel.output = this.#format(record.algo, record.result);
    const second = Math.floor((performance.now() - this.#began) / 1000);
    const counts = countsOf(record.result);
    if (counts) {
      panel.counts = counts;
      setPoint(panel.series, second, Object.values(counts).reduce((a, b) => a + b, 0));
    } else {
      const n = boxesOf(record.result).length;
      const last = panel.series.at(-1);
      if (last && last[0] === second) last[1] += n;
      else setPoint(panel.series, second, n);
    }
  }

  /** A frame moves its source's position. */
  onFrame(frame: Frame): void {
    this.#advance(frame.source, frame.time);
  }

  /** Adds a line to the messages the page shows. */
  note(message: string): void {
    this.#messages.push(message);
    if (this.#messages.length > KEEP_MESSAGES) this.#messages.shift();
  }

  /** The panels by algorithm name. */
  panels(): Record<string, AlgoPanel> {
    return this.#panels;
  }

  /** Each source's progress. */
  progress(): Record<string, SourceProgress> {
    return this.#sources;
  }

  /** The newest messages, oldest first. */
  messages(): string[] {
    return [...this.#messages];
  }

  #advance(source: string, time: number): void {
    const s = this.#sources[source] ??= { position: 0, live: false };
    if (time > s.position) s.position = time;
  }

  #panel(algo: string): AlgoPanel {
    return this.#panels[algo] ??= {
      output: "",
      frame: -1,
      time: 0,
      source: "",
      runs: 0,
      series: [],
    };
  }

  #format(algo: string, result: unknown): string {
    let shown: unknown = result;
    if (this.#output) {
      try {
        shown = this.#output(algo, result);
      } catch (e) {
        shown = `output hook failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const text = typeof shown === "string" ? shown : JSON.stringify(shown) ?? String(shown);
    return text.length > OUTPUT_CHARS ? text.slice(0, OUTPUT_CHARS) + "…" : text;
  }
}

function setPoint(series: [number, number][], second: number, value: number): void {
  const last = series.at(-1);
  if (last && last[0] === second) last[1] = value;
  else series.push([second, value]);
  while (series.length && series[0][0] < second - KEEP_SECONDS) series.shift();
}

/** The counters of an analytics record: a line's `in`/`out`, a zone's `inside`. */
function countsOf(result: unknown): Record<string, number> | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const { counts, occupancy } = result as { counts?: unknown; occupancy?: unknown };
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  if (typeof occupancy === "object" && occupancy !== null) {
    return { inside: Object.values(occupancy).reduce<number>((a, v) => a + num(v), 0) };
  }
  if (typeof counts === "object" && counts !== null) {
    const dirs = Object.values(counts) as { in?: unknown; out?: unknown }[];
    if (dirs.every((d) => typeof d === "object" && d !== null && "in" in d)) {
      return {
        in: dirs.reduce((a, d) => a + num(d.in), 0),
        out: dirs.reduce((a, d) => a + num(d.out), 0),
      };
    }
  }
  return undefined;
}
