/**
 * The end-of-run summary the CLI prints: per source, then per algorithm.
 *
 * @module
 */
import type { Metrics } from "../observe/metrics.ts";
import type { Mode } from "../observe/observer.ts";
import type { RunSummary } from "../run/summary.ts";
import type { SinkStats } from "../sinks/sink.ts";

function ms(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
}

/**
 * Formats a run summary as a few human lines: the run, each source with its played and decoded
 * frames, its player counters and each algorithm's runs on it, then each algorithm over all
 * sources, then each sink's figures (when `sinks` is given).
 *
 * @example
 * ```ts
 * import { formatSummary } from "@stream-infer/stream-infer/cli";
 * console.log(formatSummary({
 *   frames: 10, played: 100, seconds: 1, fps: 10, stopped: false, algos: {}, sources: {},
 * }));
 * ```
 */
export function formatSummary(
  summary: RunSummary,
  metrics?: Metrics,
  mode: Mode = "offline",
  sinks: readonly SinkStats[] = [],
): string {
  const realtime = mode === "realtime";
  const ids = Object.keys(summary.sources);
  const lines = [
    `done: ${summary.played} frames played (${summary.frames} decoded) from ${ids.length} ` +
    `source${ids.length === 1 ? "" : "s"} ` +
    `in ${summary.seconds.toFixed(2)} s${summary.stopped ? " (stopped)" : ""}`,
  ];
  for (const [id, s] of Object.entries(summary.sources)) {
    const p = metrics?.sources[id]?.player;
    let line = `  source ${id}: ${s.state}, ${s.frames} frames decoded of ${s.played} played at ${
      Math.round(s.fps * 100) / 100
    } fps`;
    if (p && realtime) {
      line += `, ${p.framesDropped} dropped, ${p.reconnects} reconnects, ${p.stalls} stalls`;
    }
    if (s.error) line += ` (${s.error})`;
    lines.push(line);
    for (const [name, a] of Object.entries(s.algos)) {
      lines.push(
        `    ${name}: ${a.runs} runs, ${a.errors} errors${
          realtime ? `, ${a.skipped} skipped` : ""
        }`,
      );
    }
  }
  for (const [name, stats] of Object.entries(summary.algos)) {
    const m = metrics?.algos[name];
    let line = `  algo ${name}: ${stats.runs} runs, ${stats.errors} errors`;
    if (m) {
      line += `, run p50/p95 ${ms(m.runMs.p50)}/${ms(m.runMs.p95)} ms`;
      if (realtime) {
        line += `, lag p50/p95 ${ms(m.lagMs.p50)}/${ms(m.lagMs.p95)} ms, ${m.skipped} skipped`;
      }
      if (m.restarts) line += `, ${m.restarts} restarts`;
      if (m.disabled) line += " (disabled)";
    }
    lines.push(line);
  }
  for (const k of sinks) {
    let line = `  sink ${k.sink}: ${k.written} written, ${k.dropped} dropped, ${k.errors} errors`;
    if (k.queueHighWater) line += `, queue high-water ${k.queueHighWater}`;
    lines.push(line);
  }
  return lines.join("\n");
}
