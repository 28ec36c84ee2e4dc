/**
 * {@link Sink}: where records go.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";

/**
 * Where records go. `write` is called in record order; `close` flushes and finishes the
 * output, `abort` discards it (no half-written files).
 *
 * @example
 * ```ts
 * import type { AlgoRecord, Sink } from "@stream-infer/stream-infer";
 * class ConsoleSink implements Sink {
 *   write(record: AlgoRecord) { console.log(JSON.stringify(record)); }
 *   close() {}
 * }
 * ```
 */
export interface Sink {
  /** Receives one record. */
  write(record: AlgoRecord): void | Promise<void>;
  /** Flushes and finishes the output. */
  close(): void | Promise<void>;
  /** Drops an unfinished output (optional). */
  abort?(): void | Promise<void>;
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
