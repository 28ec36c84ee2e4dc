/**
 * {@link StdoutSink}: records on standard output, as JSON Lines or as short human lines.
 *
 * @module
 */
import { type AlgoRecord, recordLine } from "../record.ts";
import { type Sink, writeAll } from "./sink.ts";

/**
 * Options of {@link StdoutSink}.
 *
 * @example
 * ```ts
 * import type { StdoutSinkOptions } from "@stream-infer/stream-infer";
 * const opts: StdoutSinkOptions = { format: "text" };
 * ```
 */
export interface StdoutSinkOptions {
  /**
   * `jsonl` (default): one JSON line per record, as the JSONL sink writes them. `text`: one
   * short line per record, `SOURCE ALGO #FRAME TIMEs SUMMARY` (see {@link summarizeRecord}).
   */
  format?: "jsonl" | "text";
}

/**
 * Writes each record to standard output, as a JSON line or a short human line.
 *
 * @example
 * ```ts
 * import { StdoutSink } from "@stream-infer/stream-infer";
 * const sink = new StdoutSink({ format: "text" });
 * await sink.write({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
 * // main a #0 0.00s 1
 * ```
 */
export class StdoutSink implements Sink {
  /** `stdout` and the format. */
  readonly label: string;
  readonly #format: "jsonl" | "text";
  readonly #encoder = new TextEncoder();

  /** Creates the sink (JSON Lines unless `format: "text"`). */
  constructor(options: StdoutSinkOptions = {}) {
    this.#format = options.format ?? "jsonl";
    this.label = `stdout (${this.#format})`;
  }

  /** Writes one line. */
  async write(record: AlgoRecord): Promise<void> {
    const line = this.#format === "jsonl" ? recordLine(record) : summarizeRecord(record) + "\n";
    await writeAll(Deno.stdout, this.#encoder.encode(line));
  }

  /** Nothing to finish. */
  close(): void {}
}

/** Longest summary of a result, in characters. */
const SUMMARY_CHARS = 80;

/**
 * One short human line for a record: source, algorithm, frame, time and a summary of the
 * result. A list of objects with a `name` (detections) is counted per name (`2 car, 1 person`),
 * another list by its length, anything else is shown as JSON cut to 80 characters; an error
 * reads `error: MESSAGE`.
 *
 * @example
 * ```ts
 * import { summarizeRecord } from "@stream-infer/stream-infer";
 * const dets = [{ name: "car", score: 0.9 }, { name: "car", score: 0.8 }, { name: "bus", score: 0.7 }];
 * const line = summarizeRecord({ source: "gate", algo: "yolo", frame: 12, time: 0.96, position: 0, result: dets });
 * console.log(line); // "gate yolo #12 0.96s 2 car, 1 bus"
 * ```
 */
export function summarizeRecord(record: AlgoRecord): string {
  const head = `${record.source} ${record.algo} #${record.frame} ${record.time.toFixed(2)}s`;
  if (record.error !== undefined) return `${head} error: ${cut(record.error.split("\n")[0])}`;
  return `${head} ${summarizeResult(record.result)}`;
}

function summarizeResult(result: unknown): string {
  if (Array.isArray(result)) {
    const named = result.every((r) => typeof (r as { name?: unknown })?.name === "string");
    if (named && result.length > 0) {
      const counts = new Map<string, number>();
      for (const r of result as { name: string }[]) {
        counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
      }
      return cut([...counts].map(([name, n]) => `${n} ${name}`).join(", "));
    }
    if (result.length > 0 && typeof result[0] === "object") return `[${result.length} items]`;
  }
  return cut(JSON.stringify(result ?? null));
}

function cut(text: string): string {
  return text.length <= SUMMARY_CHARS ? text : text.slice(0, SUMMARY_CHARS - 1) + "…";
}
