/**
 * Checking a run's result where it is produced: every result is written as JSON (docs/contract.md
 * §2.2, §5.1), so a value JSON cannot encode (a BigInt, a circular object, a function or a
 * symbol) is refused at once and that run becomes an error record, instead of failing in a sink
 * later and taking the records already collected with it.
 *
 * Used by the worker side (`entry.ts`) before a result is posted, and by the run loop for
 * algorithms that run on the main thread.
 *
 * @module
 */
import { StreamInferError } from "../errors.ts";

/**
 * A run's result cannot be written as JSON. Its message starts with the algorithm's name.
 *
 * @example
 * ```ts
 * import { ResultError } from "./result.ts";
 * const e = new ResultError("det: the result is not JSON: result.n is a BigInt");
 * console.log(e.name); // "ResultError"
 * ```
 */
export class ResultError extends StreamInferError {}

/** What JSON.stringify would silently drop or turn into something else, refused here. */
function refuse(_key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === "function" || type === "symbol") throw new TypeError(`a ${type}`);
  return value;
}

/**
 * Why `value` cannot be written as JSON, or `undefined` when it can. `undefined` itself is
 * accepted (it is written as `null`), as are `undefined` members (JSON leaves them out) and
 * objects with `toJSON` (dates). Refused: BigInts, functions, symbols and circular objects,
 * anywhere in the value; the reason names where (`result.items[4].n is a BigInt`).
 *
 * @example
 * ```ts
 * import { jsonProblem } from "./result.ts";
 * console.log(jsonProblem({ boxes: [1, 2] })); // undefined
 * console.log(jsonProblem({ n: 5n })); // "result.n is a BigInt"
 * const loop: Record<string, unknown> = {};
 * loop.self = loop;
 * console.log(jsonProblem(loop)); // "result.self is circular (it contains itself)"
 * ```
 */
export function jsonProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    JSON.stringify(value, refuse);
    return undefined;
  } catch (e) {
    // Only a failure is walked again, to say where the problem is.
    return locate(value, "result", [], 0) ?? `it cannot be encoded: ${firstLine(e)}`;
  }
}

/**
 * Checks a result (see {@link jsonProblem}); returns it, with `undefined` as `null`.
 *
 * @throws {ResultError} `<name>: the result is not JSON: <why>`.
 *
 * @example
 * ```ts
 * import { checkResult } from "./result.ts";
 * console.log(checkResult(undefined, "det")); // null
 * try {
 *   checkResult(10n, "det");
 * } catch (e) {
 *   console.log((e as Error).message); // "det: the result is not JSON: result is a BigInt"
 * }
 * ```
 */
export function checkResult(value: unknown, name: string): unknown {
  const problem = jsonProblem(value);
  if (problem !== undefined) {
    throw new ResultError(`${name}: the result is not JSON: ${problem}`);
  }
  return value === undefined ? null : value;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0].trim();
}

const MAX_DEPTH = 1000;

/** Where the first value JSON cannot encode is, as JSON.stringify walks it. */
function locate(value: unknown, path: string, open: object[], depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path} is nested too deeply`;
  let v = value;
  try {
    const toJSON = (v as { toJSON?: unknown } | null)?.toJSON;
    if (typeof toJSON === "function") v = toJSON.call(v, path);
  } catch (e) {
    return `${path}: toJSON() failed: ${firstLine(e)}`;
  }
  switch (typeof v) {
    case "bigint":
      return `${path} is a BigInt`;
    case "function":
    case "symbol":
      return `${path} is a ${typeof v}`;
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null) return undefined;
  if (open.includes(v)) return `${path} is circular (it contains itself)`;
  open.push(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = locate(v[i], `${path}[${i}]`, open, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(v)) {
      const at = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path}.${key}`
        : `${path}[${JSON.stringify(key)}]`;
      const member = (v as Record<string, unknown>)[key];
      // JSON leaves undefined members out: not a problem
      if (member === undefined) continue;
      const found = locate(member, at, open, depth + 1);
      if (found) return found;
    }
    return undefined;
  } catch (e) {
    return `${path}: ${firstLine(e)}`;
  } finally {
    open.pop();
  }
}
