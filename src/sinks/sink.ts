/**
 * Result records and the sinks they are sent to.
 *
 * @module
 */

/**
 * One result (or error) of one algorithm run: the JSONL contract of REFERENCE §5.
 *
 * @example
 * ```ts
 * import type { AlgoRecord } from "@stream-infer/stream-infer";
 * const r: AlgoRecord = { source: "main", algo: "motion", frame: 24, time: 0.96, position: 0, result: { score: 0.1 } };
 * ```
 */
export interface AlgoRecord {
  /** The id of the source the frames came from. */
  source: string;
  /** The algorithm's name. */
  algo: string;
  /** Played index of the newest frame the run saw. */
  frame: number;
  /** Presentation time of that frame, in seconds. */
  time: number;
  /** Whole seconds of play at that frame. */
  position: number;
  /** What `run` returned (absent on errors). */
  result?: unknown;
  /** Why the run failed (absent on success). */
  error?: string;
}

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

/**
 * Serialises a record as one JSONL line (with the trailing newline), in the contract's key
 * order.
 *
 * @example
 * ```ts
 * import { recordLine } from "@stream-infer/stream-infer";
 * console.log(recordLine({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 }));
 * ```
 */
export function recordLine(record: AlgoRecord): string {
  const { source, algo, frame, time, position } = record;
  const body = record.error !== undefined
    ? { source, algo, frame, time, position, error: record.error }
    : { source, algo, frame, time, position, result: record.result ?? null };
  return JSON.stringify(body) + "\n";
}

/**
 * Writes records as JSON Lines. Output goes to `PATH.partial` and is renamed to `PATH` on
 * `close`, so a crashed run never leaves a half-written file under the real name.
 *
 * @example
 * ```ts
 * import { JsonlSink } from "@stream-infer/stream-infer";
 * const sink = await JsonlSink.open("results.jsonl");
 * await sink.write({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
 * await sink.close();
 * ```
 */
export class JsonlSink implements Sink {
  /** Final path of the output. */
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  #pending = "";
  #closed = false;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Opens (creates or truncates) the temporary output next to `path`. */
  static async open(path: string): Promise<JsonlSink> {
    const file = await Deno.open(`${path}.partial`, { write: true, create: true, truncate: true });
    return new JsonlSink(path, file);
  }

  /** Buffers one record; flushes to disk every 64 KiB. */
  async write(record: AlgoRecord): Promise<void> {
    this.#pending += recordLine(record);
    if (this.#pending.length >= 65536) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (!this.#pending) return;
    const bytes = this.#encoder.encode(this.#pending);
    this.#pending = "";
    await writeAll(this.#file, bytes);
  }

  /** Flushes, closes and renames the output to its final path. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#flush();
    } finally {
      this.#file.close();
    }
    await Deno.rename(`${this.path}.partial`, this.path);
  }

  /** Closes and deletes the unfinished output. */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
    await Deno.remove(`${this.path}.partial`).catch(() => {});
  }
}

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

/** Writes all of `bytes` (a single `write` may take only part of them). */
async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await writer.write(bytes.subarray(written));
  }
}
