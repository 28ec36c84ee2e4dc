/**
 * What a run policy is: the part of a run that differs between modes. Offline and realtime
 * play sources through the same loop (`loop.ts`); their policies decide what happens on each
 * frame (`offline.ts`, `realtime.ts`).
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import { errorMessage } from "../errors.ts";
import { checkResult } from "../worker/result.ts";
import type { FramePool } from "../frame_pool.ts";
import type { Observers } from "../observe/fanout.ts";
import type { Mode } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import type { AlgoPool } from "./algo_pool.ts";
import type { RecordFlow } from "./flow.ts";
import type { SourceRun, TimedRecord } from "./source_run.ts";

/** What the policies need from the running pipeline. */
export interface RunContext {
  /** The loaded algorithms. */
  readonly pools: readonly AlgoPool[];
  /** The run's frame buffers. */
  readonly framePool: FramePool;
  /** The run's observers. */
  readonly observers: Observers;
  /** Where records go: reorder, stages, then the observers. */
  readonly flow: RecordFlow;
  /** Aborted by `stop()`. */
  readonly signal: AbortSignal;
  /** A running source by id. */
  source(id: string): SourceRun | undefined;
  /** Whether anything looks at every frame (the process hook or a frame observer). */
  watchesFrames(): boolean;
  /** Runs the process hook and the frame observers on a played frame. */
  afterFrame(frame: Frame, ran: readonly AlgoRecord[]): Promise<void>;
}

/** What a mode does with each frame of a source. */
export interface RunPolicy {
  /** The mode it implements. */
  readonly mode: Mode;
  /** Whether the player paces files at their own rate (and drops frames when behind). */
  readonly paced: boolean;
  /** Extra frame buffers the source may run ahead of its oldest unfinished frame. */
  readonly lookahead: number;
  /** Whether frames no schedule reads may be skipped inside ffmpeg. */
  readonly skipUnread: boolean;
  /** Handles a played frame (already in the ring). */
  frame(run: RunContext, source: SourceRun, frame: Frame): Promise<void>;
  /** The source's frames have ended (or it was stopped): finish what it started. */
  end(run: RunContext, source: SourceRun): Promise<void>;
}

/**
 * Runs one instance on prepared frames and times it. Every run gives a record: a throw, a
 * timeout or a result that cannot be written as JSON becomes an error record
 * (`<algo>: the result is not JSON: ...`), and an `undefined` result is recorded as `null`.
 */
export async function runOnce(
  run: RunContext,
  pool: AlgoPool,
  instance: number,
  source: SourceRun,
  input: Frame[],
  arrival: number,
): Promise<TimedRecord> {
  const newest = input[input.length - 1];
  run.observers.onRunStart({ algo: pool.name, source: source.id, frame: newest.index, instance });
  const started = performance.now();
  let record: AlgoRecord;
  try {
    const value = await pool.call(instance, input, run.framePool);
    // a worker checked its result before sending it; an inline result is checked here
    const result = pool.inline ? checkResult(value, pool.name) : value ?? null;
    record = source.record(pool, newest, { result });
  } catch (e) {
    record = source.record(pool, newest, { error: messageOf(e) });
  }
  const now = performance.now();
  return { record, timing: { runMs: now - started, lagMs: now - arrival, instance } };
}

/** An error's message for a record; never throws (a thrown value may not convert to text). */
function messageOf(e: unknown): string {
  try {
    return errorMessage(e) || "the run failed";
  } catch {
    return "the run failed with a value that cannot be shown";
  }
}
