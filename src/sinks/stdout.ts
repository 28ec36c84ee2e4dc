/**
 * {@link StdoutSink}: records as JSON Lines on standard output.
 *
 * @module
 */
import { type AlgoRecord, recordLine } from "../record.ts";
import { type Sink, writeAll } from "./sink.ts";

/**
 * Writes records as JSON Lines to standard output.
 *
 * @example
 * ```ts
 * import { StdoutSink } from "@stream-infer/stream-infer";
 * const sink = new StdoutSink();
 * await sink.write({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
 * ```
 */
export class StdoutSink implements Sink {
  readonly #encoder = new TextEncoder();

  /** Writes one line. */
  async write(record: AlgoRecord): Promise<void> {
    await writeAll(Deno.stdout, this.#encoder.encode(recordLine(record)));
  }

  /** Nothing to finish. */
  close(): void {}
}
