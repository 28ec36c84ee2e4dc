/**
 * {@link LatestRecords}: the newest record of each algorithm for each source, what an
 * annotated frame shows between two runs of a detector.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";

/**
 * Keeps the newest record per source and algorithm. It has the `onRecord` method of a run
 * observer, so `inference.observe(latest)` feeds it; `of(source)` gives what to draw on that
 * source's next frame.
 *
 * @example
 * ```ts
 * import { LatestRecords } from "@stream-infer/stream-infer";
 * const latest = new LatestRecords();
 * latest.onRecord({ source: "cam1", algo: "det", frame: 3, time: 0.12, position: 0, result: [] });
 * latest.onRecord({ source: "cam1", algo: "det", frame: 9, time: 0.36, position: 0, result: [] });
 * console.log(latest.of("cam1").map((r) => r.frame)); // [9]
 * ```
 */
export class LatestRecords {
  readonly #bySource = new Map<string, Map<string, AlgoRecord>>();

  /** Keeps `record` if it is not older (by frame) than the one kept for its source and algo. */
  onRecord(record: AlgoRecord): void {
    let algos = this.#bySource.get(record.source);
    if (!algos) this.#bySource.set(record.source, algos = new Map());
    const kept = algos.get(record.algo);
    if (!kept || kept.frame <= record.frame) algos.set(record.algo, record);
  }

  /** The newest record of each algorithm for `source`, in the order the algorithms first came. */
  of(source: string): AlgoRecord[] {
    return [...(this.#bySource.get(source)?.values() ?? [])];
  }

  /** Forgets one source (when it is removed), or every source. */
  clear(source?: string): void {
    if (source === undefined) this.#bySource.clear();
    else this.#bySource.delete(source);
  }
}
