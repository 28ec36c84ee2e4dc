/**
 * {@link Dispatcher}: the ring of recent frames, the results store, and where records go.
 *
 * @module
 */
import { type Frame, positionOf } from "../frame.ts";
import { frameIndices } from "../schedule/schedule.ts";
import type { AlgoRecord, Sink } from "../sinks/sink.ts";

/**
 * Options of {@link Dispatcher}.
 *
 * @example
 * ```ts
 * import { Dispatcher, type DispatcherOptions } from "@stream-infer/stream-infer";
 * const opts: DispatcherOptions = { keepResults: 1000 };
 * const dispatcher = new Dispatcher(opts);
 * ```
 */
export interface DispatcherOptions {
  /** Sinks every record is written to. */
  sinks?: Sink[];
  /** Keep at most this many results per algorithm in memory (default: all). */
  keepResults?: number;
}

/**
 * Holds the newest frames, hands them out by count and step, and collects results.
 * Subclass it and override {@link Dispatcher.collect} to forward results elsewhere.
 *
 * @example
 * ```ts
 * import { type AlgoRecord, Dispatcher } from "@stream-infer/stream-infer";
 * class PostingDispatcher extends Dispatcher {
 *   override collect(record: AlgoRecord) {
 *     super.collect(record);
 *     fetch("http://127.0.0.1:8080/results", { method: "POST", body: JSON.stringify(record) })
 *       .catch(() => {});
 *   }
 * }
 * ```
 */
export class Dispatcher {
  readonly #sinks: Sink[];
  readonly #keep: number;
  readonly #results = new Map<string, AlgoRecord[]>();
  #ring: (Frame | undefined)[] = [undefined];
  #newest: Frame | undefined;
  #sinkChain: Promise<void> = Promise.resolve();
  #sinkError: unknown;

  /** Creates an empty dispatcher. */
  constructor(options: DispatcherOptions = {}) {
    this.#sinks = [...(options.sinks ?? [])];
    this.#keep = options.keepResults ?? Infinity;
  }

  /** Adds a sink; records collected from now on are written to it. */
  addSink(sink: Sink): void {
    this.#sinks.push(sink);
  }

  /** Sizes the ring to hold `size` frames (the runtime calls this from the schedules). */
  reserve(size: number): void {
    this.#ring = new Array(Math.max(1, size)).fill(undefined);
    this.#newest = undefined;
  }

  /** How many frames the ring holds. */
  get capacity(): number {
    return this.#ring.length;
  }

  /** Adds the newest frame, evicting the one `capacity` indices older. */
  addFrame(frame: Frame): void {
    this.#ring[frame.index % this.#ring.length] = frame;
    this.#newest = frame;
  }

  /** The newest frame added, if any. */
  get newestFrame(): Frame | undefined {
    return this.#newest;
  }

  /** Whole seconds played at the newest frame. */
  get position(): number {
    return this.#newest ? positionOf(this.#newest.time) : 0;
  }

  /**
   * The newest frame and every `step`-th one before it, `count` in all, oldest first; or
   * `undefined` when the ring cannot supply them (too early, or evicted).
   */
  getFrames(count: number, step: number): Frame[] | undefined {
    if (!this.#newest) return undefined;
    const indices = frameIndices(this.#newest.index, count, step);
    if (!indices) return undefined;
    const frames: Frame[] = [];
    for (const index of indices) {
      const frame = this.#ring[index % this.#ring.length];
      if (frame?.index !== index) return undefined;
      frames.push(frame);
    }
    return frames;
  }

  /**
   * Receives each record: stores it and writes it to the sinks. Override to forward
   * results; call `super.collect(record)` to keep the store and sinks.
   */
  collect(record: AlgoRecord): void {
    let list = this.#results.get(record.algo);
    if (!list) this.#results.set(record.algo, list = []);
    list.push(record);
    if (list.length > this.#keep) list.splice(0, list.length - this.#keep);
    for (const sink of this.#sinks) {
      this.#sinkChain = this.#sinkChain.then(() => sink.write(record)).catch((e) => {
        this.#sinkError ??= e;
      });
    }
  }

  /** All records kept for an algorithm, oldest first. */
  getResults(name: string): AlgoRecord[] {
    return [...(this.#results.get(name) ?? [])];
  }

  /** The newest successful result of an algorithm, or `undefined`. */
  getLastResult(name: string): unknown {
    const list = this.#results.get(name) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].error === undefined) return list[i].result;
    }
    return undefined;
  }

  /** Names of the algorithms with records. */
  algoNames(): string[] {
    return [...this.#results.keys()];
  }

  /** Waits for pending sink writes; rethrows the first sink error. */
  async flush(): Promise<void> {
    await this.#sinkChain;
    if (this.#sinkError) throw this.#sinkError;
  }

  /** Flushes and closes every sink (finishing their outputs). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } catch (e) {
      await this.abort();
      throw e;
    }
    for (const sink of this.#sinks.splice(0)) await sink.close();
  }

  /** Discards unfinished sink outputs. */
  async abort(): Promise<void> {
    await this.#sinkChain.catch(() => {});
    for (const sink of this.#sinks.splice(0)) await sink.abort?.();
  }
}
