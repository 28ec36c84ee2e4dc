/**
 * `${VAR}` and `${VAR:-default}` in a config's string values, from the environment.
 *
 * - `${VAR}` is the variable's value; a variable that is not set is a config error (with its
 *   file, line and key), so a forgotten `TOKEN` never becomes an empty header.
 * - `${VAR:-default}` is the value, or `default` when the variable is unset or empty.
 * - `$${` is a literal `${`.
 * - Only values are interpolated, never keys. An unquoted value that becomes a number or a
 *   boolean (`fps: ${FPS:-10}`) is read as one; a quoted one stays a string.
 *
 * @module
 */
import { isPair, isScalar, isSeq, parse, type parseDocument, visit } from "yaml";
import { ConfigError } from "../errors.ts";
import type { Locator, Path } from "./yaml.ts";

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads an environment variable; `undefined` when unset or when the process may not read it.
 *
 * @example
 * ```ts
 * import { readEnv } from "./env.ts";
 * console.log(readEnv("HOME") !== undefined);
 * ```
 */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for it: as if unset
  }
}

/**
 * Replaces the references of one string. Throws a plain `Error` whose message says what is
 * wrong (the caller adds file, line and key).
 *
 * @example
 * ```ts
 * import { interpolate } from "./env.ts";
 * const env = (name: string) => ({ HOST: "10.0.0.2" } as Record<string, string>)[name];
 * console.log(interpolate("rtsp://${HOST}:${PORT:-554}/live", env)); // "rtsp://10.0.0.2:554/live"
 * ```
 */
export function interpolate(
  text: string,
  env: (name: string) => string | undefined = readEnv,
): string {
  if (!text.includes("${")) return text;
  return text.replace(REFERENCE, (match, body: string | undefined) => {
    if (match === "$${") return "${";
    if (body === undefined) throw new Error(`'\${' without a closing '}'`);
    const split = body.indexOf(":-");
    const name = split >= 0 ? body.slice(0, split) : body;
    if (!NAME.test(name)) {
      throw new Error(`bad variable reference '${match}' (use \${NAME} or \${NAME:-default})`);
    }
    const value = env(name);
    if (split >= 0) return value === undefined || value === "" ? body.slice(split + 2) : value;
    if (value === undefined) {
      throw new Error(
        `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`,
      );
    }
    return value;
  });
}

/** The key path of a node from the visitor's ancestors. */
function pathOf(ancestors: readonly unknown[], node: unknown): Path {
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    const next = chain[i + 1];
    if (isPair(here) && isScalar(here.key)) path.push(here.key.value as PropertyKey);
    else if (isSeq(here)) path.push(here.items.indexOf(next as never));
  }
  return path;
}

/**
 * Interpolates every string value of a parsed config document in place, so that error lines
 * stay those of the text. Throws a {@link ConfigError} `FILE:LINE: key: ...` for an unset
 * variable without a default or a malformed reference.
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "yaml";
 * import { interpolateDocument } from "./env.ts";
 * import { Locator } from "./yaml.ts";
 * const lines = new LineCounter();
 * const doc = parseDocument("fps: ${FPS:-10}\n", { lineCounter: lines });
 * interpolateDocument(new Locator("p.yaml", doc, lines));
 * console.log(doc.toJS()); // { fps: 10 }
 * ```
 */
export function interpolateDocument(
  at: Locator,
  env: (name: string) => string | undefined = readEnv,
): void {
  visit(at.doc as ReturnType<typeof parseDocument>, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("${")) return;
      let value: string;
      try {
        value = interpolate(node.value, env);
      } catch (e) {
        throw new ConfigError(at.message(pathOf(ancestors, node), (e as Error).message));
      }
      node.value = value;
      if (node.type === "PLAIN") {
        try {
          const typed = parse(value);
          if (typeof typed === "number" || typeof typed === "boolean") node.value = typed;
        } catch { /* stays a string */ }
      }
    },
  });
}
