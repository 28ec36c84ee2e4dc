/**
 * The realtime policy: wall-clock ticks per source and algorithm, runs on an idle instance,
 * busy ticks wait for one (one per source, oldest first) and are skipped when replaced.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { cloneFrame, type Frame } from "../frame.ts";
import type { AlgoRecord } from "../record.ts";
import type { AlgoPool } from "./algo_pool.ts";
import { type RunContext, runOnce, type RunPolicy } from "./policy.ts";
import type { SourceRun, TimedRecord } from "./source_run.ts";

/**
 * Realtime: each source ticks each algorithm on its own wall clock. A due tick runs on an
 * idle instance with the source's newest frames; when every instance is busy it waits for the
 * first one to free up (at most one waiting tick per source and algorithm, served oldest
 * first, so no source starves another) and is skipped when the source's next tick comes
 * first. Records are handed on as runs finish, each source's in the order its runs started
 * (a run that finishes early waits for the earlier ones).
 */
export class RealtimePolicy implements RunPolicy {
  /** Always `realtime`. */
  readonly mode = "realtime" as const;
  /** Files play at their own rate. */
  readonly paced = true;
  /** No frames ahead: the player never waits. */
  readonly lookahead = 0;
  /** Every frame is read (ticks follow the wall clock). */
  readonly skipUnread = false;
  /** How long the end of a run waits for runs in flight, ms. */
  readonly stopGraceMs: number;
  readonly #finished = new Map<string, AlgoRecord[]>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #bySource = new Map<SourceRun, Set<Promise<void>>>();
  #deadline?: number;

  /** Creates the policy. */
  constructor(stopGraceMs = 5000) {
    this.stopGraceMs = stopGraceMs;
  }

  /** Ticks every algorithm for the source, dispatches, and hands on finished records. */
  async frame(run: RunContext, source: SourceRun, frame: Frame): Promise<void> {
    const now = source.lastArrival;
    for (const pool of run.pools) {
      if (pool.disabled) continue;
      if (source.clock(pool).tick(now, false) !== "run") continue;
      if (!pool.wait(source.id)) {
        run.observers.onSkip({ algo: pool.name, source: source.id, frame: frame.index });
      }
      this.#dispatch(run, pool);
    }
    const ran = this.#finished.get(source.id) ?? [];
    this.#finished.set(source.id, []);
    await run.afterFrame(frame, ran);
  }

  /**
   * Drops the source's waiting ticks (counted as skipped), waits for its runs in flight (at
   * most `stopGraceMs`), then hands on the records still held for order and the stages' last
   * records.
   */
  async end(run: RunContext, source: SourceRun): Promise<void> {
    for (const pool of run.pools) {
      if (pool.forget(source.id)) {
        const frame = source.ring.newest?.index ?? 0;
        run.observers.onSkip({ algo: pool.name, source: source.id, frame });
      }
    }
    await this.#settle(this.#bySource.get(source), run.signal.aborted);
    this.#bySource.delete(source);
    this.#finished.delete(source.id);
    await run.flow.end(source);
  }

  /** Waits for runs in flight, at most `stopGraceMs` (counted from stop(), if it came). */
  drain(): Promise<void> {
    return this.#settle(this.#inFlight, true);
  }

  /**
   * Waits for `flights` to settle, at most `stopGraceMs`. After stop(), every wait shares one
   * deadline, `stopGraceMs` after the first, so a stop never waits longer than that in all.
   */
  async #settle(flights: Set<Promise<void>> | undefined, stopping: boolean): Promise<void> {
    if (!flights?.size) return;
    let ms = this.stopGraceMs;
    if (stopping) {
      this.#deadline ??= performance.now() + this.stopGraceMs;
      ms = Math.max(0, this.#deadline - performance.now());
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(flights),
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
  }

  /** Starts waiting ticks on idle instances, oldest first. */
  #dispatch(run: RunContext, pool: AlgoPool): void {
    for (let idle = pool.idle(); idle >= 0; idle = pool.idle()) {
      const id = pool.nextWaiting();
      if (id === undefined) return;
      const source = run.source(id);
      const input = source?.ring.get(pool.schedule.frameCount, pool.schedule.frameStep);
      if (!source || !input || run.signal.aborted) continue;
      const newest = input[input.length - 1];
      // the run's place in the source's record order, and a copy of its frame for stages
      // that crop it later (the ring's buffer may be reused by then)
      const seq = run.flow.reserve(source, pool.name);
      const frame = run.flow.needsFrames(pool.name) ? cloneFrame(newest) : undefined;
      let prepared: Frame[];
      try {
        prepared = pool.prepare(input, run.framePool);
      } catch (e) {
        // frames that cannot be handed over make an error record, never an unhandled throw
        const record = source.record(pool, newest, { error: errorMessage(e) });
        const timing = { runMs: 0, lagMs: 0, instance: idle };
        void this.#deliver(run, source, { record, timing }, seq, frame);
        continue;
      }
      pool.setBusy(idle, true);
      let flights = this.#bySource.get(source);
      if (!flights) this.#bySource.set(source, flights = new Set());
      const flight: Promise<void> = runOnce(run, pool, idle, source, prepared, source.lastArrival)
        .then((done) => this.#deliver(run, source, done, seq, frame))
        .finally(() => {
          pool.setBusy(idle, false);
          this.#inFlight.delete(flight);
          flights.delete(flight);
          if (!run.signal.aborted) this.#dispatch(run, pool);
        });
      this.#inFlight.add(flight);
      flights.add(flight);
    }
  }

  /**
   * Hands a finished run's record on (in the source's run order) to the observers and to the
   * source's next frame.
   */
  async #deliver(
    run: RunContext,
    source: SourceRun,
    done: TimedRecord,
    seq: number,
    frame: Frame | undefined,
  ): Promise<void> {
    const out = await run.flow.push(source, done.record, done.timing, { seq, frame });
    this.#finished.get(source.id)?.push(...out);
  }
}
