/**
 * {@link expandTemplate}: the `{source}` and `{algo}` placeholders of an MQTT topic or a Redis
 * stream name.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";

/**
 * Replaces `{source}` and `{algo}` in `template` with the record's source id and algorithm
 * name. Other text, braces included, is kept as it is.
 *
 * @example
 * ```ts
 * import { expandTemplate } from "@stream-infer/stream-infer";
 * const record = { source: "gate", algo: "det", frame: 0, time: 0, position: 0, result: [] };
 * console.log(expandTemplate("si/{source}/{algo}", record)); // "si/gate/det"
 * ```
 */
export function expandTemplate(template: string, record: AlgoRecord): string {
  if (!template.includes("{")) return template;
  return template.replace(/\{(source|algo)\}/g, (_, key: "source" | "algo") => record[key]);
}
