/**
 * The offline policy: every frame, runs in frame order, records handed on in order.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { AlgoRecord } from "../record.ts";
import { type RunContext, runOnce, type RunPolicy } from "./policy.ts";
import type { SourceRun, TimedRecord } from "./source_run.ts";

/** Offline: a played frame waiting for its runs, to be handed on in order. */
interface PendingFrame {
  frame: Frame;
  /** `undefined` for a run that stop() cancelled before it started. */
  runs: Promise<TimedRecord | undefined>[];
}

/**
 * Offline: every frame is read; due runs take turns over the instances and overlap with
 * decoding (at most `lookahead` frames ahead), and their records are handed on in frame
 * order, so a run gives the records of a strictly serial one.
 */
export class OfflinePolicy implements RunPolicy {
  /** Always `offline`. */
  readonly mode = "offline" as const;
  /** Files are read as fast as they decode. */
  readonly paced = false;
  /** Frames decoded ahead of the oldest unfinished run. */
  readonly lookahead: number;
  /** Frames no schedule reads are skipped inside ffmpeg. */
  readonly skipUnread = true;
  readonly #pending = new Map<SourceRun, PendingFrame[]>();

  /** Creates the policy. */
  constructor(lookahead = 8) {
    this.lookahead = Math.max(1, lookahead);
  }

  /** Starts the runs due on the frame, then hands on what is finished. */
  async frame(run: RunContext, source: SourceRun, frame: Frame): Promise<void> {
    let pending = this.#pending.get(source);
    if (!pending) this.#pending.set(source, pending = []);
    const runs: PendingFrame["runs"] = [];
    let awaitNow = false;
    for (const pool of run.pools) {
      const { frameCount, frameStep } = pool.schedule;
      if (!pool.schedule.dueAtFrame(frame.index, source.fps)) continue;
      const input = source.ring.get(frameCount, frameStep);
      if (!input) continue;
      const prepared = pool.prepare(input, run.framePool);
      const arrival = source.lastArrival;
      const cancelled = () => run.signal.aborted || source.abort.signal.aborted;
      runs.push(
        pool.inTurn((instance) =>
          cancelled()
            ? Promise.resolve(undefined)
            : runOnce(run, pool, instance, source, prepared, arrival)
        ),
      );
      awaitNow ||= pool.inline;
    }
    pending.push({ frame, runs });
    if (awaitNow || pending.length >= this.lookahead) await this.#handOn(run, source, pending);
  }

  /** Hands on every pending frame, then the stages' last records. */
  async end(run: RunContext, source: SourceRun): Promise<void> {
    const pending = this.#pending.get(source);
    this.#pending.delete(source);
    try {
      if (pending) await this.#handOn(run, source, pending);
    } finally {
      await run.flow.end(source);
    }
  }

  /**
   * Hands on, in order, the records of the pending frames. After stop(), frames whose runs did
   * not all finish are dropped, as frames still in the pipe are.
   */
  async #handOn(run: RunContext, source: SourceRun, pending: PendingFrame[]): Promise<void> {
    while (pending.length) {
      const { frame, runs } = pending.shift()!;
      const done = await Promise.all(runs);
      if (done.includes(undefined)) {
        pending.length = 0;
        return;
      }
      const records: AlgoRecord[] = [];
      for (const { record, timing } of done as TimedRecord[]) {
        records.push(...await run.flow.push(source, record, timing, { frame }));
      }
      await run.afterFrame(frame, records);
    }
  }
}
