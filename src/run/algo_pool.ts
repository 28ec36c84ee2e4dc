/**
 * {@link AlgoPool}: one loaded algorithm and the instances that run it for every source.
 *
 * @module
 */
import type { AlgoRunner } from "../algo/runner.ts";
import { type Frame, packFrames } from "../frame.ts";
import type { FramePool } from "../frame_pool.ts";
import type { Schedule } from "../schedule/schedule.ts";
import { WorkerRunner } from "../worker/runner.ts";

/**
 * A loaded algorithm: its schedule and one runner per instance, shared by every source.
 *
 * Offline, runs take turns over the instances (run k goes to instance k mod n) and each
 * instance runs its turns in order. Realtime, a run goes to an idle instance; ticks that find
 * none wait in a queue that holds at most one tick per source, served oldest first.
 */
export class AlgoPool {
  /** The algorithm's name in records. */
  readonly name: string;
  /** The validated schedule (each source keeps its own copy of the clock). */
  readonly schedule: Schedule;
  /** One runner per instance. */
  readonly runners: readonly AlgoRunner[];
  /** The plugin it was loaded from, if any. */
  readonly plugin?: string;
  /** Whether it runs on this thread (offline runs are then awaited in place, uncopied). */
  readonly inline: boolean;
  #lanes: Promise<unknown>[] = [];
  #started = 0;
  #busy: boolean[] = [];
  #waiting: string[] = [];

  /** Creates the pool over started and initialised runners. */
  constructor(name: string, schedule: Schedule, runners: AlgoRunner[], plugin?: string) {
    this.name = name;
    this.schedule = schedule;
    this.runners = runners;
    this.plugin = plugin;
    this.inline = !(runners[0] instanceof WorkerRunner);
    this.reset();
  }

  /** Clears the per-run state, as a run starts. */
  reset(): void {
    this.#lanes = this.runners.map(() => Promise.resolve());
    this.#started = 0;
    this.#busy = this.runners.map(() => false);
    this.#waiting = [];
  }

  /** Whether every instance gave up after repeated failures. */
  get disabled(): boolean {
    return this.runners.every((r) => r.disabled ?? false);
  }

  /** Worker restarts over every instance. */
  get restarts(): number {
    return this.runners.reduce((sum, r) => sum + (r.restarts ?? 0), 0);
  }

  /**
   * Offline: queues a job on the next instance in turn, after that instance's earlier jobs.
   * Returns the job's promise.
   */
  inTurn<T>(job: (instance: number) => Promise<T>): Promise<T> {
    const lane = this.#started++ % this.runners.length;
    const done = this.#lanes[lane].then(() => job(lane));
    this.#lanes[lane] = done.catch(() => {});
    return done;
  }

  /** Realtime: an idle instance that is not disabled, or -1. */
  idle(): number {
    return this.runners.findIndex((r, i) => !this.#busy[i] && !(r.disabled ?? false));
  }

  /** Realtime: marks an instance busy or idle. */
  setBusy(instance: number, busy: boolean): void {
    this.#busy[instance] = busy;
  }

  /**
   * Realtime: queues a tick of `source` for the next idle instance. Returns `false` when the
   * source already had a tick waiting (the older one is then skipped: it keeps its place in
   * the queue, and runs on the newest frames when served).
   */
  wait(source: string): boolean {
    if (this.#waiting.includes(source)) return false;
    this.#waiting.push(source);
    return true;
  }

  /** Realtime: the source that has waited longest, taken off the queue. */
  nextWaiting(): string | undefined {
    return this.#waiting.shift();
  }

  /** Realtime: drops a source's waiting tick; returns whether it had one. */
  forget(source: string): boolean {
    const at = this.#waiting.indexOf(source);
    if (at >= 0) this.#waiting.splice(at, 1);
    return at >= 0;
  }

  /**
   * The frames as a run gets them: a worker gets a packed copy in one buffer from `pool`
   * (made now, so the source's buffers may be reused at once); an inline runner gets the
   * frames themselves.
   */
  prepare(input: Frame[], pool: FramePool): Frame[] {
    if (this.inline) return input;
    let bytes = 0;
    for (const f of input) bytes += f.data.byteLength;
    return packFrames(input, pool.acquire(bytes));
  }

  /**
   * Runs instance `instance` on prepared frames. A worker's buffer comes back to `pool` with
   * the result.
   */
  call(instance: number, prepared: Frame[], pool: FramePool): Promise<unknown> {
    const runner = this.runners[instance];
    if (!(runner instanceof WorkerRunner)) return runner.run(prepared);
    return runner.runTransfer(prepared, (buffer) => pool.release(buffer));
  }

  /** Disposes every instance (ends the workers). */
  dispose(): Promise<void> {
    return disposeAll(this.runners);
  }
}

/** Disposes runners, ignoring their errors. */
export async function disposeAll(runners: readonly AlgoRunner[]): Promise<void> {
  await Promise.all(runners.map((r) => r.dispose().catch(() => {})));
}
