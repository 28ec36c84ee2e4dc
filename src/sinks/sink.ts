/**
 * {@link Sink}: where records go, and what a sink tells about itself ({@link SinkStats},
 * {@link SinkEvents}).
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";

/**
 * What a sink has done so far. A sink that queues (webhook, MQTT, Redis) fills in every
 * field; the `Dispatcher` counts the rest for sinks that do not.
 *
 * @example
 * ```ts
 * import type { SinkStats } from "@stream-infer/stream-infer";
 * const s: SinkStats = { sink: "webhook http://127.0.0.1:8080/", written: 10, dropped: 0, errors: 2, queueHighWater: 4 };
 * ```
 */
export interface SinkStats {
  /** The sink's label (its type and where it writes). */
  sink: string;
  /** Records written (for a queueing sink: delivered and acknowledged). */
  written: number;
  /** Records given up: the queue was full, or still held when the close timeout ran out. */
  dropped: number;
  /** Failed writes, sends and closes (a retried send counts once per attempt). */
  errors: number;
  /** The most records the sink's queue held at once (0 for a sink without a queue). */
  queueHighWater: number;
}

/**
 * Where a sink reports trouble that happens away from `write` (a queued send that failed,
 * records dropped). The `Dispatcher` passes one to {@link Sink.watch}, counts the errors
 * and logs the first error and the first drop of each sink.
 *
 * @example
 * ```ts
 * import type { SinkEvents } from "@stream-infer/stream-infer";
 * const events: SinkEvents = { error: (e) => console.error(e), drop: (n) => console.error(`${n} dropped`) };
 * ```
 */
export interface SinkEvents {
  /** A send, write or connection failed (it may be retried). */
  error(error: unknown): void;
  /** `count` records were dropped. */
  drop(count: number): void;
}

/**
 * Where records go. `write` is called in record order; `close` flushes and finishes the
 * output, `abort` discards it (no half-written files). The optional members let the
 * `Dispatcher` name the sink, hear about its trouble and report its figures.
 *
 * @example
 * ```ts
 * import type { AlgoRecord, Sink } from "@stream-infer/stream-infer";
 * class ConsoleSink implements Sink {
 *   readonly label = "console";
 *   write(record: AlgoRecord) { console.log(JSON.stringify(record)); }
 *   close() {}
 * }
 * ```
 */
export interface Sink {
  /** A short name for logs and stats: its type and where it writes (optional). */
  readonly label?: string;
  /** Receives one record. A sink that queues returns at once. */
  write(record: AlgoRecord): void | Promise<void>;
  /** Flushes and finishes the output. */
  close(): void | Promise<void>;
  /** Drops an unfinished output (optional; without it, `close` is called). */
  abort?(): void | Promise<void>;
  /** Where to report trouble that happens away from `write` (optional). */
  watch?(events: SinkEvents): void;
  /**
   * The sink's own figures (optional; the dispatcher counts writes otherwise). Errors are
   * counted by the dispatcher: what `write` or `close` throws, and what {@link Sink.watch}
   * reports.
   */
  stats?(): Omit<SinkStats, "sink" | "errors">;
}

/** Writes all of `bytes` (a single `write` may take only part of them). */
export async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await writer.write(bytes.subarray(written));
  }
}
