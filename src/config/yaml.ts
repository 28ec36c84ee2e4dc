/**
 * Reading a config's YAML: the size cap, reading the file, duplicate keys, and the line of
 * each key for error messages.
 *
 * @module
 */
import type { LineCounter, parseDocument } from "yaml";
import { isMap, isPair, isScalar, isSeq, visit } from "yaml";
import { ConfigError } from "../errors.ts";

/**
 * A key path in a config: mapping keys and list indices, as zod reports them.
 *
 * @example
 * ```ts
 * import type { Path } from "./yaml.ts";
 * const p: Path = ["algos", 0, "frameCount"];
 * ```
 */
export type Path = readonly PropertyKey[];

/**
 * A key path as it reads in a message: `algos[0].frameCount`.
 *
 * @example
 * ```ts
 * import { keyPath } from "./yaml.ts";
 * console.log(keyPath(["algos", 0, "frameCount"])); // "algos[0].frameCount"
 * ```
 */
export function keyPath(path: Path): string {
  return path.reduce<string>(
    (s, k) => typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k),
    "",
  );
}

/**
 * Where in the YAML text each key sits, for error messages.
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "yaml";
 * import { Locator } from "./yaml.ts";
 * const lines = new LineCounter();
 * const doc = parseDocument("a: 1\nb:\n  - x\n", { lineCounter: lines });
 * console.log(new Locator("p.yaml", doc, lines).message(["b", 0], "bad")); // "p.yaml:3: b[0]: bad"
 * ```
 */
export class Locator {
  /** Creates a locator over a parsed document and its line counter. */
  constructor(
    /** The config file's name, as given. */
    readonly file: string,
    /** The parsed document (with source ranges). */
    readonly doc: ReturnType<typeof parseDocument>,
    /** Line positions of the text. */
    readonly lines: LineCounter,
  ) {}

  /** The line (1-based) of the deepest key of `path` that exists in the document. */
  line(path: Path): number {
    let node: unknown = this.doc.contents;
    let offset = (node as { range?: [number] } | null)?.range?.[0] ?? 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (!pair) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        offset = (node as { range?: [number] })?.range?.[0] ?? offset;
      } else break;
    }
    return this.lines.linePos(offset).line;
  }

  /** One line: `FILE:LINE: key.path: message`. */
  message(path: Path, message: string): string {
    const where = keyPath(path);
    return `${this.file}:${this.line(path)}: ${where ? `${where}: ` : ""}${message}`;
  }

  /** Throws a {@link ConfigError} with {@link Locator.message}. */
  fail(path: Path, message: string): never {
    throw new ConfigError(this.message(path, message));
  }
}

/**
 * Throws a {@link ConfigError} at the second occurrence of a key in any mapping. Linear in the
 * document's size: one Set per mapping (the parser's own check, `uniqueKeys`, compares every key
 * with every other and takes seconds on a mapping of 20k keys).
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "yaml";
 * const lines = new LineCounter();
 * const doc = parseDocument("a: 1\na: 2\n", { lineCounter: lines, uniqueKeys: false });
 * checkDuplicateKeys(new Locator("p.yaml", doc, lines)); // throws "p.yaml:2: duplicate key 'a'"
 * ```
 */
export function checkDuplicateKeys(at: Locator): void {
  visit(at.doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (seen.has(key)) {
          const offset = pair.key.range?.[0] ?? 0;
          throw new ConfigError(
            `${at.file}:${at.lines.linePos(offset).line}: duplicate key '${String(key)}'`,
          );
        }
        seen.add(key);
      }
    },
  });
}

/**
 * Largest config file read, in bytes (1 MiB). A pipeline config is a few hundred bytes; the
 * cap keeps a wrong file (a video, a log, `/dev/zero`) from taking the memory and time of a
 * huge parse.
 *
 * @example
 * ```ts
 * console.log(MAX_CONFIG_BYTES); // 1048576
 * ```
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Refuses a config text over {@link MAX_CONFIG_BYTES} (UTF-8) before it is parsed.
 *
 * @example
 * ```ts
 * checkConfigSize("source: a.mp4\n", "p.yaml"); // fine; a 2 MiB text throws a ConfigError
 * ```
 */
export function checkConfigSize(text: string, file: string): void {
  // one UTF-16 unit is 1 to 3 bytes of UTF-8: encode only when the length cannot tell
  if (text.length > MAX_CONFIG_BYTES) throw tooLarge(file, `${text.length}+`);
  if (text.length * 3 <= MAX_CONFIG_BYTES) return;
  const size = new TextEncoder().encode(text).length;
  if (size > MAX_CONFIG_BYTES) throw tooLarge(file, size);
}

function tooLarge(file: string, size: number | string): ConfigError {
  return new ConfigError(
    `${file}: the config is too large (${size} bytes; the limit is ${MAX_CONFIG_BYTES} bytes)`,
  );
}

/**
 * Reads a config file as UTF-8 text, at most {@link MAX_CONFIG_BYTES} + 1 bytes of it, so an
 * oversized file is refused unread. Every failure is a one-line {@link ConfigError}.
 *
 * @example
 * ```ts
 * const text = await readConfigText("examples/pipeline.yaml");
 * ```
 */
export async function readConfigText(file: string): Promise<string> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file, { read: true });
  } catch (e) {
    throw readError(file, e);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory) throw new ConfigError(`${file}: is a directory, not a config file`);
    if (info.isFile && info.size > MAX_CONFIG_BYTES) throw tooLarge(file, info.size);
    const buffer = new Uint8Array(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = await handle.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge(file, `over ${MAX_CONFIG_BYTES}`);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new ConfigError(`${file}: not a text file (invalid UTF-8)`);
    }
  } catch (e) {
    throw e instanceof ConfigError ? e : readError(file, e);
  } finally {
    handle.close();
  }
}

function readError(file: string, e: unknown): ConfigError {
  if (e instanceof Deno.errors.NotFound) return new ConfigError(`${file}: no such file`);
  if (e instanceof Deno.errors.IsADirectory) {
    return new ConfigError(`${file}: is a directory, not a config file`);
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return new ConfigError(`${file}: cannot read (permission denied)`);
  }
  const message = (e as Error)?.message ?? String(e);
  return new ConfigError(`${file}: cannot read (${message.split("\n")[0]})`);
}
