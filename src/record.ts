/**
 * {@link AlgoRecord}: what one algorithm run gives, the unit every sink and observer receives,
 * and its JSONL form.
 *
 * @module
 */

/**
 * One result (or error) of one algorithm run: the JSONL contract of docs/contract.md §5.1.
 *
 * @example
 * ```ts
 * import type { AlgoRecord } from "@stream-infer/stream-infer";
 * const r: AlgoRecord = { source: "main", algo: "motion", frame: 24, time: 0.96, position: 0, result: { score: 0.1 } };
 * ```
 */
export interface AlgoRecord {
  /** The id of the source the frames came from. */
  source: string;
  /** The algorithm's name. */
  algo: string;
  /** Played index of the newest frame the run saw. */
  frame: number;
  /** Presentation time of that frame, in seconds. */
  time: number;
  /** Whole seconds of play at that frame. */
  position: number;
  /** What `run` returned (absent on errors). */
  result?: unknown;
  /** Why the run failed (absent on success). */
  error?: string;
}

/**
 * Serialises a record as one JSONL line (with the trailing newline), in the contract's key
 * order.
 *
 * @example
 * ```ts
 * import { recordLine } from "@stream-infer/stream-infer";
 * console.log(recordLine({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 }));
 * ```
 */
export function recordLine(record: AlgoRecord): string {
  const { source, algo, frame, time, position } = record;
  const body = record.error !== undefined
    ? { source, algo, frame, time, position, error: record.error }
    : { source, algo, frame, time, position, result: record.result ?? null };
  return JSON.stringify(body) + "\n";
}
