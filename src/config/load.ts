/**
 * Reading a pipeline config: the text is parsed as YAML (with the line of every node),
 * checked for duplicate keys, `${VAR}` references are filled in from the environment, and the
 * whole is validated by the zod schema of `schema.ts`, which resolves relative paths against
 * the config's folder. Every error is one line, `FILE:LINE: key.path: message`, a
 * {@link ConfigError} (exit code 2).
 *
 * @module
 */
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors.ts";
import { interpolateDocument } from "./env.ts";
import { issueMessage, problemsOf } from "./issues.ts";
import { configDir } from "./paths.ts";
import { pipelineSchema } from "./schema.ts";
import type { PipelineConfig } from "./types.ts";
import { checkConfigSize, checkDuplicateKeys, Locator, readConfigText } from "./yaml.ts";

/**
 * Parses and validates a pipeline config. Throws {@link ConfigError} naming the file, line
 * and key of the first problem (its `problems` lists them all).
 *
 * @example
 * ```ts
 * import { parseConfig } from "@stream-infer/stream-infer";
 * try {
 *   parseConfig("source: a.mp4\nfsp: 3\n", "p.yaml");
 * } catch (e) {
 *   console.log((e as Error).message); // p.yaml:2: fsp: unknown key 'fsp' (allowed: ...)
 * }
 * ```
 */
export function parseConfig(text: string, file: string): PipelineConfig {
  return parseConfigDocument(text, file).config;
}

/**
 * {@link parseConfig}, also returning the {@link Locator} of the text (the line of every key),
 * for checks that report problems after the parse (`validate`).
 *
 * @example
 * ```ts
 * import { parseConfigDocument } from "./load.ts";
 * const { config, at } = parseConfigDocument("source: a.mp4\n", "/srv/p.yaml");
 * console.log(config.sources[0].url, at.line(["source"])); // "/srv/a.mp4" 1
 * ```
 */
export function parseConfigDocument(
  text: string,
  file: string,
): { config: PipelineConfig; at: Locator } {
  checkConfigSize(text, file);
  const lines = new LineCounter();
  // uniqueKeys off: its check is quadratic in a mapping's size; checkDuplicateKeys is linear
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lines.linePos(e.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const at = new Locator(file, doc, lines);
  checkDuplicateKeys(at);
  interpolateDocument(at);
  const raw = doc.toJS() as unknown;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    const got = raw === null ? "nothing" : Array.isArray(raw) ? "a list" : typeof raw;
    at.fail([], `the config must be a mapping (got ${got})`);
  }
  const baseDir = configDir(file);
  const parsed = pipelineSchema(baseDir).safeParse(raw, { error: issueMessage });
  if (!parsed.success) throw problemsOf(at, parsed.error.issues);
  return { config: { ...parsed.data, baseDir }, at };
}

/**
 * Reads and validates a pipeline config file.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@stream-infer/stream-infer";
 * const config = await loadConfig("examples/pipeline.yaml");
 * console.log(config.algos.map((a) => a.plugin));
 * ```
 */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  return parseConfig(await readConfigText(file), file);
}
