/**
 * {@link CountsSummary}: an observer that writes one line per analytics entry and source at
 * the end of a run, from their final `counts` records.
 *
 * @module
 */
import type { RunObserver } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";

type Counts = Record<string, Record<string, number>>;

/**
 * The line for a final `counts` record: per class and direction for a line, occupancy and
 * entries and exits for a zone.
 *
 * @example
 * ```ts
 * import { countsLine } from "./analytics_summary.ts";
 * const result = { event: "counts", final: true, counts: { car: { in: 12, out: 9 } } };
 * console.log(countsLine({ source: "main", algo: "gate", frame: 374, time: 29.92, position: 29, result }));
 * // gate (main): car in 12, out 9
 * ```
 */
export function countsLine(record: AlgoRecord): string {
  const r = record.result as { counts?: Counts; occupancy?: Record<string, number> };
  const perClass = (counts: Counts | undefined) =>
    Object.keys(counts ?? {}).sort().map((cls) =>
      `${cls} ${Object.entries(counts![cls]).map(([k, v]) => `${k} ${v}`).join(", ")}`
    ).join("; ");
  const parts: string[] = [];
  if (r.occupancy) {
    const now = Object.keys(r.occupancy).sort().map((c) => `${c} ${r.occupancy![c]}`).join(", ");
    parts.push(`inside now: ${now || "none"}`);
  }
  const counts = perClass(r.counts);
  parts.push(counts || (r.occupancy ? "no entries" : "no crossings"));
  return `${record.algo} (${record.source}): ${parts.join("; ")}`;
}

/**
 * Collects the final `counts` record of each analytics entry and source (the last one the
 * analytics stage adds when a source ends) and writes {@link countsLine} for each when the
 * run ends, in the order they came.
 *
 * @example
 * ```ts
 * import { Inference } from "@stream-infer/stream-infer";
 * import { CountsSummary } from "./analytics_summary.ts";
 * const inference = new Inference();
 * inference.observe(new CountsSummary((line) => console.error(line)));
 * ```
 */
export class CountsSummary implements RunObserver {
  readonly #write: (line: string) => void;
  readonly #final = new Map<string, AlgoRecord>();

  /** Creates the observer; `write` gets each line. */
  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** Keeps final `counts` records. */
  onRecord(record: AlgoRecord): void {
    const result = record.result as { event?: unknown; final?: unknown } | null;
    if (result?.event === "counts" && result.final === true) {
      this.#final.set(`${record.algo}\n${record.source}`, record);
    }
  }

  /** Writes the lines. */
  onEnd(): void {
    for (const record of this.#final.values()) this.#write(countsLine(record));
    this.#final.clear();
  }
}
