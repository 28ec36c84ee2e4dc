/**
 * {@link JsonlSink}: records as JSON Lines in a file.
 *
 * @module
 */
import { type AlgoRecord, recordLine } from "../record.ts";
import { type Sink, writeAll } from "./sink.ts";

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
