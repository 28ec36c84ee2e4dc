/**
 * {@link Dispatcher}: the results store, and where records go.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";
import type { Sink } from "../sinks/sink.ts";

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
 * Collects every record of a run: keeps results per algorithm and writes records to the
 * sinks. Subclass it and override {@link Dispatcher.collect} to forward results elsewhere
 * (the original's extension point).
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
