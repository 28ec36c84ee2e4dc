/**
 * Checking YAML values with the file and line of each problem in the error.
 *
 * @module
 */
import type { LineCounter, parseDocument } from "yaml";
import { isMap, isPair, isScalar, isSeq } from "yaml";
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
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.startsWith("/") || path.startsWith("-")) {
    return path;
  }
  return `${baseDir}/${path.replace(/^\.\//, "")}`;
}
