/**
 * {@link JsonlSink}: records as JSON Lines in a file that a reader can follow live.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import type { Sink, SinkEvents, SinkStats } from "./sink.ts";
import { recordJson } from "./template.ts";

/** Buffered lines are written at the latest this long after the first of them (ms). */
const FLUSH_MS = 500;
/** ... or as soon as they reach this many bytes. */
const FLUSH_BYTES = 65536;

/**
 * Options of {@link JsonlSink.open}. Without `overwrite` or `append`, an existing file is
 * refused.
 *
 * @example
 * ```ts
 * import type { JsonlSinkOptions } from "@stream-infer/stream-infer";
 * const opts: JsonlSinkOptions = { append: true, rotate: { maxBytes: 100 * 1024 * 1024 } };
 * ```
 */
export interface JsonlSinkOptions {
  /**
   * Replace an existing file: it is emptied once the run starts ({@link JsonlSink.keep}) or
   * the first record is written, so a run that fails before it starts leaves it as it was.
   */
  overwrite?: boolean;
  /** Add to the end of an existing file. */
  append?: boolean;
  /**
   * Start a new file before the current one would pass `maxBytes`: the full file is renamed
   * `PATH.1`, the next one `PATH.2`, and so on (the lowest free number; the oldest file has the
   * lowest). Rotated files are never deleted. A line is never split between files.
   */
  rotate?: { maxBytes: number };
}

/**
 * Writes records as JSON Lines to `PATH` itself, appending: the buffered lines are written at
 * least twice a second (and at `close`), so `tail -f PATH` follows a live run, and a run killed
 * with SIGKILL leaves every record up to its last write, with at most one partial last line.
 *
 * `open` checks the output before anything runs (a directory, a missing parent directory or no
 * write permission is an {@link InputError}), refuses an existing file unless `overwrite` or
 * `append` is set, and takes an exclusive lock on the file for the sink's life: a second writer
 * of the same `PATH` is refused with an {@link InputError}, and never truncates the first one's
 * output.
 *
 * @example
 * ```ts
 * import { JsonlSink } from "@stream-infer/stream-infer";
 * const sink = await JsonlSink.open("results.jsonl", { overwrite: true });
 * sink.write({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
 * await sink.close();
 * ```
 */
export class JsonlSink implements Sink {
  /** Path of the output. */
  readonly path: string;
  /** `jsonl PATH`. */
  readonly label: string;
  readonly #options: JsonlSinkOptions;
  readonly #encoder = new TextEncoder();
  /** How the file was when the sink opened: created, or its size then (`append`). */
  readonly #start: { created: boolean; size: number };
  /** `overwrite` of an existing file, not emptied yet. */
  #emptyFirst: boolean;
  /** `overwrite` emptied the existing file. */
  #emptied = false;
  #file: Deno.FsFile;
  #size: number;
  /** Lines not written yet, and their size in bytes. */
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #events?: SinkEvents;
  #records = 0;
  #written = 0;
  #dropped = 0;
  #keep = false;
  #closed = false;

  private constructor(
    path: string,
    file: Deno.FsFile,
    start: { created: boolean; size: number },
    options: JsonlSinkOptions,
  ) {
    this.path = path;
    this.label = `jsonl ${path}`;
    this.#file = file;
    this.#start = start;
    this.#emptyFirst = !start.created && !!options.overwrite;
    this.#size = start.created || this.#emptyFirst ? 0 : start.size;
    this.#options = options;
  }

  /**
   * Checks `path`, then opens and locks it. Throws {@link InputError} with a one-line message
   * when `path` cannot be written, exists (without `overwrite` or `append`), or another
   * writer holds it.
   */
  static async open(path: string, options: JsonlSinkOptions = {}): Promise<JsonlSink> {
    if (options.overwrite && options.append) {
      throw new InputError(`${path}: 'overwrite' and 'append' exclude each other`);
    }
    const maxBytes = options.rotate?.maxBytes;
    if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
      throw new InputError(`${path}: rotate.maxBytes must be a positive integer`);
    }
    await checkOutput(path);
    let file: Deno.FsFile;
    let created = true;
    try {
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw outputError(path, e);
      created = false;
      try {
        // no truncate here: another run may be writing this file
        file = await Deno.open(path, { append: true });
      } catch (e) {
        throw outputError(path, e);
      }
    }
    lockOrThrow(path, file);
    if (!created && !options.overwrite && !options.append) {
      file.close();
      throw new InputError(
        `${path}: the file exists; remove it, or set 'overwrite: true' or 'append: true'`,
      );
    }
    const size = created ? 0 : (await file.stat()).size;
    return new JsonlSink(path, file, { created, size }, options);
  }

  /** Where a failed background write is reported (the dispatcher passes it). */
  watch(events: SinkEvents): void {
    this.#events = events;
  }

  /** Buffers one record; it reaches the file within half a second. */
  write(record: AlgoRecord): void {
    if (this.#closed) return;
    const line = recordJson(record) + "\n";
    const bytes = utf8Length(line);
    const maxBytes = this.#options.rotate?.maxBytes;
    if (maxBytes !== undefined && this.#size + this.#pendingBytes + bytes > maxBytes) {
      if (this.#size + this.#pendingBytes > 0) {
        this.flushSync();
        this.#rotate();
      }
    }
    this.#pending.push(line);
    this.#pendingBytes += bytes;
    this.#records++;
    if (this.#pendingBytes >= FLUSH_BYTES) this.flushSync();
    else this.#timer ??= setTimeout(() => this.#flushLater(), FLUSH_MS);
  }

  /** Records written to the file so far, and records lost to a failed write. */
  stats(): Omit<SinkStats, "sink" | "errors"> {
    return { written: this.#written, dropped: this.#dropped, queueHighWater: 0 };
  }

  /**
   * Writes the buffered lines to the file now (synchronously: also usable just before a
   * forced `Deno.exit`). Lines that cannot be written are counted as dropped and the error is
   * thrown.
   */
  flushSync(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0 || this.#closed) return;
    this.#empty();
    const lines = this.#pending;
    const bytes = this.#encoder.encode(lines.join(""));
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      for (let done = 0; done < bytes.length;) {
        const n = this.#file.writeSync(bytes.subarray(done));
        done += n;
        this.#size += n;
      }
    } catch (e) {
      this.#dropped += lines.length;
      throw e;
    }
    this.#written += lines.length;
  }

  /**
   * From now on, {@link JsonlSink.abort} keeps the records written so far (it finishes the
   * output like `close`) instead of deleting them. The CLI calls it once a run has started,
   * so a run that fails midway still leaves its records.
   */
  keep(): void {
    this.#keep = true;
    if (!this.#closed) this.#empty();
  }

  /** With `overwrite`: empties the existing file, once. */
  #empty(): void {
    if (!this.#emptyFirst) return;
    this.#file.truncateSync(0);
    this.#emptyFirst = false;
    this.#emptied = true;
  }

  /** Flushes and closes the file, synchronously; for a forced exit. Does nothing once closed. */
  finishSync(): void {
    if (this.#closed) return;
    try {
      this.#empty(); // a finished run replaces the old file, records or not
      this.flushSync();
    } finally {
      this.#closeFile();
    }
  }

  /**
   * What a forced exit (`Deno.exit`) leaves, done synchronously: after
   * {@link JsonlSink.keep}, the output finished like `finishSync`; before, what `abort` leaves.
   */
  exitSync(): void {
    if (this.#keep) return this.finishSync();
    this.#discard();
  }

  /** Flushes and closes the file (releasing the lock). */
  close(): Promise<void> {
    this.finishSync();
    return Promise.resolve();
  }

  /**
   * Drops this run's output: a file the sink created (or emptied with `overwrite`) is
   * deleted, an appended one cut back to its size at open, one not emptied yet left as it was. After {@link JsonlSink.keep},
   * finishes it like `close` when it holds any record.
   */
  abort(): Promise<void> {
    if (this.#keep && this.#records > 0) return this.close();
    this.#discard();
    return Promise.resolve();
  }

  #discard(): void {
    if (this.#closed) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      if (!this.#start.created && !this.#emptied && !this.#emptyFirst) {
        this.#file.truncateSync(this.#start.size);
      }
    } finally {
      this.#closeFile();
    }
    if (this.#start.created || this.#emptied) {
      try {
        Deno.removeSync(this.path);
      } catch { /* already gone */ }
    }
  }

  #closeFile(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    this.#file.close();
  }

  #flushLater(): void {
    this.#timer = undefined;
    try {
      this.flushSync();
    } catch (e) {
      if (this.#events) this.#events.error(e);
      else console.error(`stream-infer: ${this.label}: ${(e as Error)?.message ?? e}`);
    }
  }

  /** Renames the full file to `PATH.N` (the lowest free N) and opens a new `PATH`. */
  #rotate(): void {
    let n = 1;
    while (existsSync(`${this.path}.${n}`)) n++;
    this.#file.close();
    Deno.renameSync(this.path, `${this.path}.${n}`);
    this.#file = Deno.openSync(this.path, { append: true, create: true });
    lockOrThrow(this.path, this.#file);
    this.#size = 0;
  }
}

function lockOrThrow(path: string, file: Deno.FsFile): void {
  let locked = false;
  try {
    locked = file.tryLockSync(true);
  } catch (e) {
    file.close();
    throw outputError(path, e);
  }
  if (!locked) {
    file.close();
    throw new InputError(`${path}: another run is writing this file (it is locked)`);
  }
}

/** The UTF-8 size of `text` (JSON is mostly ASCII: a quick count without encoding). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair: 4 bytes for its 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
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
