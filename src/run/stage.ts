/**
 * {@link RecordStage}: a step between an algorithm's records and the run's observers (the
 * dispatcher, sinks, video). Tracking, analytics and secondary algorithms on crops are stages.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { RunTiming } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";

/**
 * What a stage may do besides changing the record it is handed: add records after it (events,
 * counts), in order. `timing` is for a record of a run the stage made itself (observers count
 * it as a run); without it, observers get a `NaN` timing.
 *
 * @example
 * ```ts
 * import type { StageEmit } from "@stream-infer/stream-infer";
 * const emit: StageEmit = (record) => console.log(record.algo, record.result);
 * ```
 */
export type StageEmit = (record: AlgoRecord, timing?: RunTiming) => void;

/**
 * One source's side of a stage: it receives that source's records in run order (frame order
 * offline; realtime, in the order the runs were started, even when they finish out of order).
 *
 * @example
 * ```ts
 * import type { SourceStage } from "@stream-infer/stream-infer";
 * let runs = 0;
 * const counting: SourceStage = {
 *   record(record) {
 *     if (record.algo === "det") runs++;
 *     return record;
 *   },
 * };
 * ```
 */
export interface SourceStage {
  /**
   * A record of the source, in run order. Returns the record to hand on (the same one, or a
   * changed copy); `emit` adds records after it. `frame` is the newest frame the run saw,
   * valid only during the call (a copy in realtime); it is absent for records a run did not
   * make (an earlier stage's events, an error).
   */
  record(
    record: AlgoRecord,
    emit: StageEmit,
    frame?: Frame,
  ): AlgoRecord | Promise<AlgoRecord>;
  /** The source ended (or the run stopped): last records, if any. */
  end?(emit: StageEmit): void | Promise<void>;
}

/**
 * A step every record of a run goes through before the observers see it. `open` is called
 * once per source and run; what it returns holds that source's state.
 *
 * @example
 * ```ts
 * import { type RecordStage, Inference } from "@stream-infer/stream-infer";
 * const stamp: RecordStage = {
 *   name: "stamp",
 *   open: () => ({ record: (r) => ({ ...r, result: { value: r.result, seen: true } }) }),
 * };
 * const inference = new Inference();
 * inference.addStage(stamp);
 * ```
 */
export interface RecordStage {
  /** A name for errors. */
  readonly name: string;
  /** Whether the stage needs the run's frames (secondary algorithms on crops do). */
  readonly needsFrames?: (algo: string) => boolean;
  /** Starts the stage's state for one source. */
  open(source: string): SourceStage;
}
