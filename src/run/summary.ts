/**
 * {@link RunSummary} and the run's metrics: what a run reports, per algorithm and per source.
 *
 * @module
 */
import type {
  AlgoMetrics,
  Metrics,
  PlayerMetrics,
  SourceMetrics,
  SourceState,
} from "../observe/metrics.ts";
import { RunCounters } from "../observe/run_metrics.ts";
import type { AlgoPool } from "./algo_pool.ts";
import type { SourceRun } from "./source_run.ts";

/**
 * Counts of one algorithm in a finished run.
 *
 * @example
 * ```ts
 * import type { AlgoStats } from "@stream-infer/stream-infer";
 * const s: AlgoStats = { runs: 30, errors: 0, skipped: 2 };
 * ```
 */
export interface AlgoStats {
  /** Runs that returned a result or an error. */
  runs: number;
  /** Runs that threw. */
  errors: number;
  /** Realtime ticks skipped because every instance stayed busy. */
  skipped: number;
}

/**
 * One source in a finished run.
 *
 * @example
 * ```ts
 * import type { SourceSummary } from "@stream-infer/stream-infer";
 * function show(id: string, s: SourceSummary) {
 *   console.log(`${id}: ${s.state}, ${s.frames} frames at ${s.fps} fps`);
 * }
 * ```
 */
export interface SourceSummary {
  /** Path or URL. */
  url: string;
  /** How it ended. */
  state: SourceState;
  /** Why it failed or was lost. */
  error?: string;
  /** Frames decoded and handed through the pipeline (frames no schedule reads stay in ffmpeg). */
  frames: number;
  /**
   * Frames played at the played fps, those no schedule reads (skipped inside ffmpeg) included:
   * an offline run at 10 fps over a 30 s file plays 300 frames, even when only 30 are decoded.
   */
  played: number;
  /** The fps played. */
  fps: number;
  /** Counts per algorithm name, for this source. */
  algos: Record<string, AlgoStats>;
}

/**
 * What `Inference.start` returns.
 *
 * @example
 * ```ts
 * import type { RunSummary } from "@stream-infer/stream-infer";
 * function show(s: RunSummary) {
 *   console.log(`${s.frames} frames in ${s.seconds.toFixed(1)} s`, s.algos);
 *   for (const [id, source] of Object.entries(s.sources)) console.log(id, source.state);
 * }
 * ```
 */
export interface RunSummary {
  /** Frames that went through the pipeline (decoded), over every source. */
  frames: number;
  /** Frames played, over every source (see {@link SourceSummary.played}). */
  played: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** The fps played by the first source. */
  fps: number;
  /** Whether `stop()` ended the run early. */
  stopped: boolean;
  /** Counts per algorithm name, over every source. */
  algos: Record<string, AlgoStats>;
  /** Per source id. */
  sources: Record<string, SourceSummary>;
}

/** Builds the summary of a finished run from its metrics. */
export function summarize(
  metrics: Metrics,
  sources: readonly SourceRun[],
  retired: readonly SourceRun[],
  seconds: number,
  stopped: boolean,
): RunSummary {
  const stats = (m: { runs: number; errors: number; skipped: number }): AlgoStats => ({
    runs: m.runs,
    errors: m.errors,
    skipped: m.skipped,
  });
  const bySource: Record<string, SourceSummary> = {};
  for (const s of sources) {
    const m = metrics.sources[s.id];
    bySource[s.id] = {
      url: s.player.source,
      state: s.state,
      ...(s.error ? { error: s.error } : {}),
      frames: s.frames,
      played: playedFrames(s, stopped),
      fps: s.player.fps || s.fps,
      algos: Object.fromEntries(Object.entries(m?.algos ?? {}).map(([k, v]) => [k, stats(v)])),
    };
  }
  return {
    frames: [...sources, ...retired].reduce((n, s) => n + s.frames, 0),
    played: [...sources, ...retired].reduce((n, s) => n + playedFrames(s, stopped), 0),
    seconds,
    fps: sources[0] ? bySource[sources[0].id].fps : 0,
    stopped,
    algos: Object.fromEntries(Object.entries(metrics.algos).map(([k, v]) => [k, stats(v)])),
    sources: bySource,
  };
}

/**
 * Frames a source played: up to its newest frame's played index (frames skipped inside ffmpeg
 * count), and, for a file that ended, every frame of it at the played fps after the start
 * position (the frames after the last one a schedule reads are never decoded). A stopped run
 * counts up to its newest frame.
 */
export function playedFrames(s: SourceRun, stopped = false): number {
  const upToNewest = Math.max(s.frames, (s.ring.newest?.index ?? -1) + 1);
  const info = s.player.info;
  if (stopped || s.state !== "ended" || !info || info.live || !(info.fps > 0) || !(s.fps > 0)) {
    return upToNewest;
  }
  const total = info.frameCount ??
    (info.duration !== null ? Math.round(info.duration * info.fps) : 0);
  const source = total - Math.round((s.play.position ?? 0) * info.fps);
  if (source <= 0) return upToNewest;
  const ratio = s.fps / info.fps;
  const played = ratio >= 1 ? source : Math.floor((source - 1) * ratio + 1e-9) + 1;
  return Math.max(upToNewest, played);
}

/**
 * The metrics of a run: per listed source (with its algorithms' counters), and per algorithm
 * and player over every source of the run, the removed and replaced (`retired`) ones too.
 */
export function collectMetrics(
  pools: readonly AlgoPool[],
  runs: readonly SourceRun[],
  retired: readonly SourceRun[],
  counters: RunCounters,
): Metrics {
  const sources: Record<string, SourceMetrics> = {};
  for (const s of runs) {
    const algos: Record<string, AlgoMetrics> = {};
    for (const pool of pools) {
      const c = counters.of(s.id, pool.name);
      algos[pool.name] = {
        runs: c.runs,
        skipped: c.skipped,
        errors: c.errors,
        restarts: pool.restarts,
        disabled: pool.disabled,
        runMs: c.runMs.percentiles(),
        lagMs: c.lagMs.percentiles(),
      };
    }
    sources[s.id] = {
      url: s.player.source,
      state: s.state,
      ...(s.error ? { error: s.error } : {}),
      ring: s.ring.capacity,
      player: s.player.metrics(),
      algos,
    };
  }
  const algos: Record<string, AlgoMetrics> = {};
  for (const pool of pools) {
    const ids = new Set([...runs, ...retired].map((s) => s.id));
    const each = [...ids].map((id) => counters.of(id, pool.name));
    algos[pool.name] = {
      runs: sum(each.map((c) => c.runs)),
      skipped: sum(each.map((c) => c.skipped)),
      errors: sum(each.map((c) => c.errors)),
      restarts: pool.restarts,
      disabled: pool.disabled,
      runMs: RunCounters.merged(each.map((c) => c.runMs)),
      lagMs: RunCounters.merged(each.map((c) => c.lagMs)),
    };
  }
  const players = [
    ...Object.values(sources).map((s) => s.player),
    ...retired.map((s) => s.player.metrics()),
  ];
  const player: PlayerMetrics = {
    fps: Math.round(sum(players.map((p) => p.fps)) * 100) / 100,
    framesRead: sum(players.map((p) => p.framesRead)),
    framesDropped: sum(players.map((p) => p.framesDropped)),
    reconnects: sum(players.map((p) => p.reconnects)),
    stalls: sum(players.map((p) => p.stalls)),
  };
  return { algos, player, sources };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
