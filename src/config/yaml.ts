/**
 * Checking YAML values with the file and line of each problem in the error.
 *
 * @module
 */
import type { LineCounter, parseDocument } from "yaml";
import { isMap, isPair, isScalar, isSeq, visit } from "yaml";
import { ConfigError, InputError } from "../errors.ts";
import { FieldError } from "../source/spec.ts";

export type Path = (string | number)[];

/** Where in the YAML text each key sits, for error messages. */
export class Locator {
  constructor(
    readonly file: string,
    readonly doc: ReturnType<typeof parseDocument>,
    readonly lines: LineCounter,
  ) {}

  line(path: Path): number {
    let node: unknown = this.doc.contents;
    let offset = 0;
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

  /**
   * Runs a check that throws {@link InputError}; its message becomes this file's error, at
   * the line of the key a {@link FieldError} names.
   */
  check<T>(path: Path, run: () => T): T {
    try {
      return run();
    } catch (e) {
      if (e instanceof FieldError) this.fail([...path, e.key], e.reason);
      if (e instanceof InputError && !(e instanceof ConfigError)) this.fail(path, e.message);
      throw e;
    }
  }

  fail(path: Path, message: string): never {
    const where = path.reduce<string>(
      (s, k) => typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k,
      "",
    );
    throw new ConfigError(
      `${this.file}:${this.line(path)}: ${where ? `${where}: ` : ""}${message}`,
    );
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function checkKeys(
  at: Locator,
  path: Path,
  value: Record<string, unknown>,
  allowed: string[],
) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      at.fail([...path, key], `unknown key '${key}' (allowed: ${allowed.join(", ")})`);
    }
  }
}

export function num(
  at: Locator,
  path: Path,
  value: unknown,
  rule: { integer?: boolean; min?: number; above?: number },
): number {
  const kind = rule.integer ? "an integer" : "a number";
  const bound = rule.above !== undefined
    ? ` > ${rule.above}`
    : rule.min !== undefined
    ? ` >= ${rule.min}`
    : "";
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above);
  if (!ok) at.fail(path, `must be ${kind}${bound} (got ${describe(value)})`);
  return value as number;
}

export function str(at: Locator, path: Path, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    at.fail(path, `must be a non-empty string (got ${describe(value)})`);
  }
  return value;
}

export function mapping(at: Locator, path: Path, value: unknown): Record<string, unknown> {
  if (!isRecord(value)) at.fail(path, `must be a mapping (got ${describe(value)})`);
  return value;
}

export function list(at: Locator, path: Path, value: unknown): unknown[] {
  if (!Array.isArray(value)) at.fail(path, `must be a list (got ${describe(value)})`);
  return value;
}

export function bool(at: Locator, path: Path, value: unknown): boolean {
  if (typeof value !== "boolean") at.fail(path, `must be true or false (got ${describe(value)})`);
  return value;
}

export function resolvePath(baseDir: string, path: string): string {
  if (/^file:/i.test(path)) {
    // a file: URL is a local path, percent-encoded ("a%20b.mp4" is "a b.mp4")
    try {
      return decodeURIComponent(new URL(path).pathname);
    } catch {
      throw new InputError(`not a valid file: URL: ${path}`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.startsWith("/") || path.startsWith("-")) {
    return path;
  }
  return `${baseDir}/${path.replace(/^\.\//, "")}`;
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
