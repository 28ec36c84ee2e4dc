/**
 * {@link Dispatcher}: the results store, and where records go.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";
import type { Sink, SinkStats } from "../sinks/sink.ts";

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
  /** Where a sink's first error and first drop are logged (default: `console.error`). */
  log?: (line: string) => void;
}

/**
 * Collects every record of a run: keeps results per algorithm and writes records to the
 * sinks.
 *
 * Sinks are isolated from one another and from the run: each has its own lane, so a slow sink
 * never delays the others, and a sink that throws (on `write`, `close` or in the background)
 * has its first error logged and every error counted, while the other sinks and the run go
 * on. {@link Dispatcher.sinkStats} gives each sink's figures. Subclass it and override {@link Dispatcher.collect} to forward results elsewhere
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
  readonly #lanes: Lane[] = [];
  readonly #keep: number;
  readonly #log: (line: string) => void;
  readonly #results = new Map<string, AlgoRecord[]>();

  /** Creates an empty dispatcher. */
  constructor(options: DispatcherOptions = {}) {
    this.#keep = options.keepResults ?? Infinity;
    this.#log = options.log ?? ((line) => console.error(line));
    for (const sink of options.sinks ?? []) this.addSink(sink);
  }

  /** Adds a sink; records collected from now on are written to it. */
  addSink(sink: Sink): void {
    const lane = new Lane(sink, this.#log);
    this.#lanes.push(lane);
    sink.watch?.({ error: (e) => lane.failed(e), drop: (n) => lane.dropped(n) });
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
    for (const lane of this.#lanes) lane.write(record);
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

  /**
   * Each sink's figures, in the order the sinks were added (also after `close`): records
   * written, dropped, errors, and the high-water mark of its queue.
   *
   * @example
   * ```ts
   * import { Dispatcher, JsonlSink } from "@stream-infer/stream-infer";
   * const dispatcher = new Dispatcher({ sinks: [await JsonlSink.open("out.jsonl")] });
   * dispatcher.collect({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
   * await dispatcher.close();
   * console.log(dispatcher.sinkStats()); // [{ sink: "jsonl out.jsonl", written: 1, ... }]
   * ```
   */
  sinkStats(): SinkStats[] {
    return this.#lanes.map((lane) => lane.stats());
  }

  /** Waits for pending sink writes. A sink's errors are counted, never thrown. */
  async flush(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => lane.idle()));
  }

  /** Flushes and closes every sink (finishing their outputs), side by side. */
  async close(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => lane.end(false)));
  }

  /** Discards unfinished sink outputs (a sink without `abort` is closed). */
  async abort(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => lane.end(true)));
  }
}

/** One sink's lane: its writes in order, its counts, its first error and drop logged. */
class Lane {
  readonly #label: string;
  #chain?: Promise<void>;
  #pending = 0;
  #written = 0;
  #errors = 0;
  #dropped = 0;
  #highWater = 0;
  #logged = { error: false, drop: false };
  #ended?: Promise<void>;

  constructor(readonly sink: Sink, readonly log: (line: string) => void) {
    this.#label = sink.label ?? sink.constructor?.name ?? "sink";
  }

  write(record: AlgoRecord): void {
    if (this.#ended) return;
    if (this.#chain) {
      this.#queue(() => this.sink.write(record));
      return;
    }
    let out: void | Promise<void>;
    try {
      out = this.sink.write(record);
    } catch (e) {
      return this.failed(e);
    }
    if (out instanceof Promise) this.#track(out);
    else this.#written++;
  }

  /** Runs `step` after the writes in flight (an async sink's writes stay in order). */
  #queue(step: () => void | Promise<void>): void {
    const previous = this.#chain ?? Promise.resolve();
    this.#track(previous.then(step));
  }

  #track(promise: Promise<void>): void {
    this.#pending++;
    this.#highWater = Math.max(this.#highWater, this.#pending);
    const chain: Promise<void> = this.#chain = promise.then(
      () => void this.#written++,
      (e) => this.failed(e),
    ).finally(() => {
      this.#pending--;
      if (this.#chain === chain) this.#chain = undefined;
    });
  }

  failed(e: unknown): void {
    this.#errors++;
    if (this.#logged.error) return;
    this.#logged.error = true;
    const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    this.log(`stream-infer: sink ${this.#label}: ${message} (the other sinks go on)`);
  }

  dropped(count: number): void {
    this.#dropped += count;
    if (this.#logged.drop) return;
    this.#logged.drop = true;
    this.log(`stream-infer: sink ${this.#label}: dropping records (its queue is full or closing)`);
  }

  async idle(): Promise<void> {
    while (this.#chain) await this.#chain;
  }

  end(abort: boolean): Promise<void> {
    return this.#ended ??= (async () => {
      await this.idle();
      try {
        await (abort && this.sink.abort ? this.sink.abort() : this.sink.close());
      } catch (e) {
        this.failed(e);
      }
    })();
  }

  stats(): SinkStats {
    const own = this.sink.stats?.();
    return {
      sink: this.#label,
      written: own ? own.written : this.#written,
      dropped: own ? own.dropped : this.#dropped,
      errors: this.#errors,
      queueHighWater: Math.max(own?.queueHighWater ?? 0, this.#highWater),
    };
  }
}
