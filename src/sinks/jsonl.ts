/**
 * {@link JsonlSink}: records as JSON Lines in a file.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { type AlgoRecord, recordLine } from "../record.ts";
import type { Sink } from "./sink.ts";

/** Flush the buffered lines to disk once they reach this many characters. */
const FLUSH_AT = 65536;

/**
 * Writes records as JSON Lines. Output goes to `PATH.partial` and is renamed to `PATH` on
 * `close`, so a crashed run never leaves a half-written file under the real name.
 *
 * `open` checks the output before anything runs (a directory, a missing parent directory or
 * no write permission is an {@link InputError}) and takes an exclusive lock on `PATH.partial`
 * for the sink's life: a second writer of the same `PATH` is refused with an
 * {@link InputError}, and never truncates the first one's output.
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
  #written = 0;
  #keep = false;
  #closed = false;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Checks `path`, then opens and locks the temporary output next to it (emptied once the
   * lock is held). Throws {@link InputError} with a one-line message when `path` cannot be
   * written or another writer holds it.
   */
  static async open(path: string): Promise<JsonlSink> {
    await checkOutput(path);
    const partial = `${path}.partial`;
    let file: Deno.FsFile;
    try {
      // no truncate here: another run may be writing this file
      file = await Deno.open(partial, { write: true, create: true });
    } catch (e) {
      throw outputError(path, e);
    }
    let locked = false;
    try {
      locked = await file.tryLock(true);
    } catch (e) {
      file.close();
      throw outputError(path, e);
    }
    if (!locked) {
      file.close();
      throw new InputError(`${path}: another run is writing this file (${partial} is locked)`);
    }
    await file.truncate(0);
    return new JsonlSink(path, file);
  }

  /** Buffers one record; flushes to disk every 64 KiB. */
  write(record: AlgoRecord): void {
    if (this.#closed) return;
    this.#pending += recordLine(record);
    this.#written++;
    if (this.#pending.length >= FLUSH_AT) this.flushSync();
  }

  /**
   * Writes the buffered lines to disk now (synchronously: also usable just before a forced
   * `Deno.exit`).
   */
  flushSync(): void {
    if (!this.#pending || this.#closed) return;
    const bytes = this.#encoder.encode(this.#pending);
    this.#pending = "";
    for (let done = 0; done < bytes.length;) done += this.#file.writeSync(bytes.subarray(done));
  }

  /**
   * From now on, {@link JsonlSink.abort} keeps the records written so far (it finishes the
   * output like `close`) instead of deleting them. The CLI calls it once a run has started,
   * so a run that fails midway still leaves its records.
   */
  keep(): void {
    this.#keep = true;
  }

  /**
   * Flushes and renames the output to its final path, synchronously; for a forced exit.
   * Does nothing after `close` or `abort`.
   */
  finishSync(): void {
    if (this.#closed) return;
    try {
      this.flushSync();
      this.#closed = true;
      Deno.renameSync(`${this.path}.partial`, this.path);
    } finally {
      this.#closed = true;
      this.#file.close();
    }
  }

  /**
   * What a forced exit (`Deno.exit`) leaves, done synchronously: after
   * {@link JsonlSink.keep}, the output finished like `finishSync`; before, nothing.
   */
  exitSync(): void {
    if (this.#keep) return this.finishSync();
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
    try {
      Deno.removeSync(`${this.path}.partial`);
    } catch { /* already gone */ }
  }

  /** Flushes, renames the output to its final path (still holding the lock) and closes it. */
  close(): Promise<void> {
    this.finishSync();
    return Promise.resolve();
  }

  /**
   * Closes and deletes the unfinished output; after {@link JsonlSink.keep}, finishes it like
   * `close` when it holds any record.
   */
  async abort(): Promise<void> {
    if (this.#closed) return;
    if (this.#keep && this.#written > 0) return await this.close();
    this.#closed = true;
    this.#file.close();
    await Deno.remove(`${this.path}.partial`).catch(() => {});
  }
}

/** Refuses an output that is a directory, in a missing directory, or not writable. */
async function checkOutput(path: string): Promise<void> {
  if (path === "") throw new InputError("output path is empty");
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw outputError(path, e);
  }
  if (info?.isDirectory) throw new InputError(`${path}: is a directory, not a file`);
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
  let dirInfo: Deno.FileInfo;
  try {
    dirInfo = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${path}: no such directory: ${dir}`);
    }
    throw outputError(path, e);
  }
  if (!dirInfo.isDirectory) throw new InputError(`${path}: ${dir} is not a directory`);
}

function outputError(path: string, e: unknown): InputError {
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return new InputError(`${path}: cannot write here (permission denied)`);
  }
  if (e instanceof Deno.errors.NotFound) return new InputError(`${path}: no such directory`);
  if (e instanceof Deno.errors.IsADirectory) {
    return new InputError(`${path}: is a directory, not a file`);
  }
  const message = (e as Error)?.message ?? String(e);
  return new InputError(`${path}: cannot write (${message.split("\n")[0]})`);
}
