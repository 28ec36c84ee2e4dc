/**
 * {@link PrometheusExporter}: a run's metrics in the Prometheus text format, for the control
 * API's `GET /metrics`.
 *
 * Counters and gauges are read from the run's `metrics()` snapshot at scrape time, so they
 * always equal what `Inference.metrics()` reports. The run-time and lag histograms observe
 * every record through {@link RunObserver.onRecord}.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AlgoRecord } from "../record.ts";
import type { Metrics, SourceState } from "./metrics.ts";
import type { RunObserver, RunTiming } from "./observer.ts";

/** Bucket bounds (seconds) of the run-time and lag histograms unless told otherwise. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

const STATES: readonly SourceState[] = ["waiting", "playing", "ended", "lost", "failed", "removed"];

/**
 * Options of {@link PrometheusExporter}.
 *
 * @example
 * ```ts
 * import type { PrometheusExporterOptions } from "@stream-infer/stream-infer";
 * import type { Metrics } from "@stream-infer/stream-infer";
 * declare function snapshot(): Metrics;
 * const options: PrometheusExporterOptions = { metrics: snapshot, buckets: [0.01, 0.1, 1] };
 * ```
 */
export interface PrometheusExporterOptions {
  /** The run's metrics snapshot (`() => inference.metrics()`), read once per scrape. */
  metrics: () => Metrics;
  /** Histogram bucket bounds in seconds, ascending (default {@link DEFAULT_BUCKETS}). */
  buckets?: readonly number[];
}

/**
 * Exports a run's metrics in the Prometheus text format. Attach it to the run as an observer
 * (for the histograms) and serve {@link PrometheusExporter.text} with
 * {@link PrometheusExporter.contentType}.
 *
 * Series (labels `source` = source id, `algo` = algorithm name):
 * - `stream_infer_source_frames_total`, `_dropped_total`, `_reconnects_total`, `_stalls_total`
 *   `{source}`; gauges `stream_infer_source_fps{source}` and
 *   `stream_infer_source_state{source,state}` (1 for the source's current state, 0 otherwise).
 * - `stream_infer_algo_runs_total`, `_errors_total`, `_skipped_total` `{algo,source}`;
 *   `stream_infer_algo_restarts_total{algo}` and gauge `stream_infer_algo_disabled{algo}`.
 * - histograms `stream_infer_algo_run_seconds` and `stream_infer_algo_lag_seconds`
 *   `{algo,source}`.
 *
 * It keeps its own registry (never prom-client's global one), so several exporters can live
 * in one process.
 *
 * @example
 * ```ts
 * import { Inference, PrometheusExporter } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * const exporter = new PrometheusExporter({ metrics: () => inference.metrics() });
 * inference.observe(exporter);
 * // later, per scrape:
 * const body = await exporter.text();
 * const response = new Response(body, { headers: { "content-type": exporter.contentType } });
 * ```
 */
export class PrometheusExporter implements RunObserver {
  readonly #registry: Registry;
  readonly #metrics: () => Metrics;
  readonly #sourceFrames: Counter<"source">;
  readonly #sourceDropped: Counter<"source">;
  readonly #sourceReconnects: Counter<"source">;
  readonly #sourceStalls: Counter<"source">;
  readonly #sourceFps: Gauge<"source">;
  readonly #sourceState: Gauge<"source" | "state">;
  readonly #algoRuns: Counter<"algo" | "source">;
  readonly #algoErrors: Counter<"algo" | "source">;
  readonly #algoSkipped: Counter<"algo" | "source">;
  readonly #algoRestarts: Counter<"algo">;
  readonly #algoDisabled: Gauge<"algo">;
  readonly #runSeconds: Histogram<"algo" | "source">;
  readonly #lagSeconds: Histogram<"algo" | "source">;
  /** Label sets the histograms hold: source id to algorithm names. */
  readonly #observed = new Map<string, Set<string>>();

  /** Creates the exporter and its registry; reads nothing until the first scrape. */
  constructor(options: PrometheusExporterOptions) {
    this.#metrics = options.metrics;
    const registry = this.#registry = new Registry();
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
    const histogram = (name: string, help: string) =>
      new Histogram<"algo" | "source">({
        name,
        help,
        labelNames: ["algo", "source"],
        buckets,
        registers,
      });

    this.#sourceFrames = counter(
      "stream_infer_source_frames_total",
      "Frames read from the source.",
      ["source"],
    );
    this.#sourceDropped = counter(
      "stream_infer_source_dropped_total",
      "Frames the realtime player dropped because it fell behind the source.",
      ["source"],
    );
    this.#sourceReconnects = counter(
      "stream_infer_source_reconnects_total",
      "Reconnections to a live source.",
      ["source"],
    );
    this.#sourceStalls = counter(
      "stream_infer_source_stalls_total",
      "Times a live source stalled.",
      ["source"],
    );
    this.#sourceFps = gauge(
      "stream_infer_source_fps",
      "Frames read per second of wall clock over the run.",
      ["source"],
    );
    this.#sourceState = gauge(
      "stream_infer_source_state",
      "1 for the state the source is in, 0 for the others.",
      ["source", "state"],
    );
    this.#algoRuns = counter(
      "stream_infer_algo_runs_total",
      "Algorithm runs that finished, with a result or an error.",
      ["algo", "source"],
    );
    this.#algoErrors = counter(
      "stream_infer_algo_errors_total",
      "Algorithm runs that failed.",
      ["algo", "source"],
    );
    this.#algoSkipped = counter(
      "stream_infer_algo_skipped_total",
      "Realtime ticks skipped because the algorithm's instances were busy.",
      ["algo", "source"],
    );
    this.#algoRestarts = counter(
      "stream_infer_algo_restarts_total",
      "Worker restarts of the algorithm's pool after a crash or a timeout.",
      ["algo"],
    );
    this.#algoDisabled = gauge(
      "stream_infer_algo_disabled",
      "1 when the algorithm was disabled after failing repeatedly.",
      ["algo"],
    );
    this.#runSeconds = histogram(
      "stream_infer_algo_run_seconds",
      "Time from handing the frames to the algorithm to its result.",
    );
    this.#lagSeconds = histogram(
      "stream_infer_algo_lag_seconds",
      "Time from the newest frame's arrival to the algorithm's result.",
    );
  }

  /** The `Content-Type` of {@link PrometheusExporter.text}'s output. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Observes one finished run's time and lag (in seconds) in the histograms. */
  onRecord(record: AlgoRecord, timing: RunTiming): void {
    const algo = record.algo;
    const source = (record as AlgoRecord & { source?: string }).source ?? "main";
    const labels = { algo, source };
    if (Number.isFinite(timing.runMs) && timing.runMs >= 0) {
      this.#runSeconds.observe(labels, timing.runMs / 1000);
    }
    if (Number.isFinite(timing.lagMs) && timing.lagMs >= 0) {
      this.#lagSeconds.observe(labels, timing.lagMs / 1000);
    }
    let algos = this.#observed.get(source);
    if (!algos) this.#observed.set(source, algos = new Set());
    algos.add(algo);
  }

  /**
   * Takes one `metrics()` snapshot, sets every counter and gauge from it, and returns the
   * whole registry in the Prometheus text format. Histogram series of sources that are no
   * longer in the snapshot are dropped.
   */
  async text(): Promise<string> {
    this.#update(this.#metrics());
    return await this.#registry.metrics();
  }

  #update(m: Metrics): void {
    for (
      const metric of [
        this.#sourceFrames,
        this.#sourceDropped,
        this.#sourceReconnects,
        this.#sourceStalls,
        this.#sourceFps,
        this.#sourceState,
        this.#algoRuns,
        this.#algoErrors,
        this.#algoSkipped,
        this.#algoRestarts,
        this.#algoDisabled,
      ]
    ) metric.reset();

    for (const [source, s] of Object.entries(m.sources)) {
      const labels = { source };
      this.#sourceFrames.inc(labels, count(s.player.framesRead));
      this.#sourceDropped.inc(labels, count(s.player.framesDropped));
      this.#sourceReconnects.inc(labels, count(s.player.reconnects));
      this.#sourceStalls.inc(labels, count(s.player.stalls));
      this.#sourceFps.set(labels, Number.isFinite(s.player.fps) ? s.player.fps : 0);
      for (const state of STATES) {
        this.#sourceState.set({ source, state }, state === s.state ? 1 : 0);
      }
      for (const [algo, a] of Object.entries(s.algos)) {
        const algoLabels = { algo, source };
        this.#algoRuns.inc(algoLabels, count(a.runs));
        this.#algoErrors.inc(algoLabels, count(a.errors));
        this.#algoSkipped.inc(algoLabels, count(a.skipped));
      }
    }
    for (const [algo, a] of Object.entries(m.algos)) {
      this.#algoRestarts.inc({ algo }, count(a.restarts));
      this.#algoDisabled.set({ algo }, a.disabled ? 1 : 0);
    }

    for (const [source, algos] of this.#observed) {
      if (Object.hasOwn(m.sources, source)) continue;
      for (const algo of algos) {
        this.#runSeconds.remove({ algo, source });
        this.#lagSeconds.remove({ algo, source });
      }
      this.#observed.delete(source);
    }
  }
}

/** A counter value prom-client accepts: finite and not negative. */
function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
