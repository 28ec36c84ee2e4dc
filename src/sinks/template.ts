/**
 * {@link expandTemplate}: the `{source}` and `{algo}` placeholders of an MQTT topic or a Redis
 * stream name; {@link recordJson}: a record's JSON, made once for all the sinks.
 *
 * @module
 */
import { type AlgoRecord, recordLine } from "../record.ts";

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

const lines = new WeakMap<AlgoRecord, string>();

/**
 * The record's JSON (the JSONL key order, no newline), made once per record however many sinks
 * ask for it: the dispatcher hands every sink the same record object.
 *
 * @example
 * ```ts
 * import { recordJson } from "./template.ts";
 * console.log(recordJson({ source: "gate", algo: "det", frame: 0, time: 0, position: 0, result: 1 }));
 * ```
 */
export function recordJson(record: AlgoRecord): string {
  let line = lines.get(record);
  if (line === undefined) lines.set(record, line = recordLine(record).slice(0, -1));
  return line;
}
