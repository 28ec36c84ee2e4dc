/**
 * {@link RunCounters}: per source and algorithm counts and latencies of a run, gathered from
 * its observer events.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";
import { type Percentiles, Samples } from "./metrics.ts";
import type { RunObserver, RunTiming, SkippedRun } from "./observer.ts";

/** The counters of one algorithm on one source. */
export interface AlgoCounters {
  /** Runs that gave a record. */
  runs: number;
  /** Runs whose record is an error. */
  errors: number;
  /** Realtime ticks skipped. */
  skipped: number;
  /** Run times, ms. */
  runMs: Samples;
  /** Lags, ms. */
  lagMs: Samples;
}

/**
 * Counts runs, errors and skips and keeps run-time and lag samples, per source and algorithm.
 *
 * @example
 * ```ts
 * import { RunCounters } from "./run_metrics.ts";
 * const counters = new RunCounters();
 * counters.onRecord(
 *   { source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 },
 *   { runMs: 2, lagMs: 3, instance: 0 },
 * );
 * console.log(counters.of("main", "a").runs); // 1
 * ```
 */
export class RunCounters implements RunObserver {
  readonly #bySource = new Map<string, Map<string, AlgoCounters>>();

  /** Forgets everything (a new run). */
  reset(): void {
    this.#bySource.clear();
  }

  /** The counters of `algo` on `source` (zeros when it never ran). */
  of(source: string, algo: string): AlgoCounters {
    let algos = this.#bySource.get(source);
    if (!algos) this.#bySource.set(source, algos = new Map());
    let c = algos.get(algo);
    if (!c) {
      algos.set(
        algo,
        c = { runs: 0, errors: 0, skipped: 0, runMs: new Samples(), lagMs: new Samples() },
      );
    }
    return c;
  }

  /** Counts a record. */
  onRecord(record: AlgoRecord, timing: RunTiming): void {
    const c = this.of(record.source, record.algo);
    c.runs++;
    if (record.error !== undefined) c.errors++;
    c.runMs.add(timing.runMs);
    c.lagMs.add(timing.lagMs);
  }

  /** Counts a skipped tick. */
  onSkip(skip: SkippedRun): void {
    this.of(skip.source, skip.algo).skipped++;
  }

  /** Percentiles of a list of sample windows taken together. */
  static merged(samples: readonly Samples[]): Percentiles {
    const all = new Samples(Number.MAX_SAFE_INTEGER);
    for (const s of samples) for (const v of s.values()) all.add(v);
    return all.percentiles();
  }
}
