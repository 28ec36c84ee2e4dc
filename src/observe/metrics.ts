/**
 * Run metrics: per-algorithm counters and latency percentiles, and player counters.
 *
 * @module
 */
import type { PlayerMetrics } from "../source/player.ts";

export type { PlayerMetrics } from "../source/player.ts";

/**
 * p50 and p95 of a set of samples, in milliseconds (`null` without samples).
 *
 * @example
 * ```ts
 * import type { Percentiles } from "@stream-infer/stream-infer";
 * const p: Percentiles = { p50: 61.2, p95: 70.4 };
 * ```
 */
export interface Percentiles {
  /** Median. */
  p50: number | null;
  /** 95th percentile. */
  p95: number | null;
}

/**
 * Keeps the newest `capacity` samples (bounded memory) and reports percentiles over them.
 *
 * @example
 * ```ts
 * import { Samples } from "@stream-infer/stream-infer";
 * const s = new Samples();
 * for (const v of [1, 2, 3, 4, 100]) s.add(v);
 * console.log(s.percentiles()); // { p50: 3, p95: 100 }
 * ```
 */
export class Samples {
  readonly #values: number[] = [];
  readonly #capacity: number;
  #next = 0;

  /** Creates an empty window of `capacity` samples. */
  constructor(capacity = 2048) {
    this.#capacity = capacity;
  }

  /** Adds one sample, replacing the oldest once full. */
  add(value: number): void {
    if (this.#values.length < this.#capacity) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** The samples kept, in no particular order. */
  values(): readonly number[] {
    return this.#values;
  }

  /** How many samples are kept. */
  get size(): number {
    return this.#values.length;
  }

  /** Nearest-rank p50 and p95, rounded to 0.01 ms. */
  percentiles(): Percentiles {
    if (this.#values.length === 0) return { p50: null, p95: null };
    const sorted = [...this.#values].sort((a, b) => a - b);
    const at = (q: number) => {
      const v = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
      return Math.round(v * 100) / 100;
    };
    return { p50: at(0.5), p95: at(0.95) };
  }
}

/**
 * Metrics of one algorithm.
 *
 * @example
 * ```ts
 * import type { AlgoMetrics } from "@stream-infer/stream-infer";
 * function show(m: AlgoMetrics) {
 *   console.log(`${m.runs} runs, ${m.skipped} skipped, lag p50 ${m.lagMs.p50} ms`);
 * }
 * ```
 */
export interface AlgoMetrics {
  /** Runs that finished (with a result or an error). */
  runs: number;
  /** Realtime ticks skipped because the previous run was still busy. */
  skipped: number;
  /** Runs that failed. */
  errors: number;
  /** Worker restarts after a crash or a timeout. */
  restarts: number;
  /** Whether the algorithm was disabled after failing repeatedly. */
  disabled: boolean;
  /** Time from dispatch to result. */
  runMs: Percentiles;
  /** Time from the newest frame's arrival to its result. */
  lagMs: Percentiles;
}

/**
 * Everything `Inference.metrics()` reports.
 *
 * @example
 * ```ts
 * import type { Metrics } from "@stream-infer/stream-infer";
 * function slowest(m: Metrics): string | undefined {
 *   return Object.entries(m.algos).sort((a, b) => (b[1].runMs.p50 ?? 0) - (a[1].runMs.p50 ?? 0))[0]?.[0];
 * }
 * ```
 */
export interface Metrics {
  /** Per algorithm name, over every source. */
  algos: Record<string, AlgoMetrics>;
  /** The player's counters, summed over every source. */
  player: PlayerMetrics;
  /** Per source id. */
  sources: Record<string, SourceMetrics>;
}

/** Where a source is in its life. */
export type SourceState = "waiting" | "playing" | "ended" | "lost" | "failed" | "removed";

/**
 * Metrics of one source, with its algorithms' counters on it.
 *
 * @example
 * ```ts
 * import type { SourceMetrics } from "@stream-infer/stream-infer";
 * function show(id: string, m: SourceMetrics) {
 *   console.log(`${id}: ${m.state}, ${m.player.framesRead} frames, ${m.player.framesDropped} dropped`);
 * }
 * ```
 */
export interface SourceMetrics {
  /** The source's path or URL. */
  url: string;
  /** Where the source is in its life. */
  state: SourceState;
  /** Why it failed or was lost, if it did. */
  error?: string;
  /** How many frames its ring holds (sized from the loaded schedules). */
  ring: number;
  /** The player's counters. */
  player: PlayerMetrics;
  /** Per algorithm name: this source's runs. `restarts` and `disabled` are the pool's. */
  algos: Record<string, AlgoMetrics>;
}
