/**
 * {@link Pipeline}: the one place that turns a parsed config into a running pipeline. It
 * creates the `Inference` and its `Dispatcher`, opens the outputs, loads the algorithms (with
 * the grants of built-in plugins) and adds the sources. Each feature adds its own step to
 * {@link Pipeline.build}: one call each.
 *
 * @module
 */
import type { AlgoConfig, PipelineConfig } from "../config/types.ts";
import { type LogLevel, LogObserver, logs } from "../observe/log.ts";
import type { Mode } from "../observe/observer.ts";
import { ProgressBar } from "../observe/progress.ts";
import { Dispatcher } from "../run/dispatcher.ts";
import { Inference } from "../run/inference.ts";
import { CountsSummary } from "../run/analytics_summary.ts";
import { openSinks } from "../sinks/config.ts";
import { JsonlSink } from "../sinks/jsonl.ts";
import { StdoutSink } from "../sinks/stdout.ts";
import { Player } from "../source/player.ts";
import { FFmpegProducer } from "../source/producer.ts";
import type { SourceSpec } from "../source/spec.ts";
import { attachVideo, type VideoOutputs } from "../video/config.ts";

/**
 * What the command line adds to a config for one run.
 *
 * @example
 * ```ts
 * import type { RunSettings } from "./pipeline.ts";
 * const s: RunSettings = { mode: "offline", position: 0, sources: [], logLevel: "info", progress: false };
 * ```
 */
export interface RunSettings {
  /** The mode played. */
  mode: Mode;
  /** Requested fps (default: each source's). */
  fps?: number;
  /** Start position in seconds. */
  position: number;
  /** The sources played (the config's, or `--source`). */
  sources: SourceSpec[];
  /** Also write JSONL records here (`--out`). */
  out?: string;
  /** What is printed on stderr. */
  logLevel: LogLevel;
  /** Show the progress bar. */
  progress: boolean;
  /** Checks run once the outputs are open, before any source opens or plugin loads. */
  check?: () => Promise<void>;
}

/**
 * A pipeline built from a config: create it, {@link Pipeline.build} it, then start its
 * `inference`; {@link Pipeline.dispose} ends everything it opened.
 *
 * @example
 * ```ts
 * import { loadConfig } from "../config/load.ts";
 * import { Pipeline } from "./pipeline.ts";
 * const config = await loadConfig("examples/pipeline.yaml");
 * const pipeline = new Pipeline(config, {
 *   mode: "offline", position: 0, sources: config.sources, logLevel: "info", progress: false,
 * });
 * try {
 *   await pipeline.build();
 *   console.log(await pipeline.inference.start(undefined, { mode: "offline" }));
 * } finally {
 *   await pipeline.dispose();
 * }
 * ```
 */
export class Pipeline {
  /** Collects records and writes them to the sinks. */
  readonly dispatcher: Dispatcher;
  /** The run. */
  readonly inference: Inference;
  /** File sinks: kept once the run starts, written out on a forced exit. */
  readonly files: JsonlSink[] = [];
  /** Writes one line to stderr at a level. */
  readonly log: (level: LogLevel, line: string) => void;
  /** The video outputs (record, restream, hls, snapshot, clips), when the config has any. */
  readonly video?: VideoOutputs;

  /** Creates the dispatcher, the inference and its observers (log, progress bar). */
  constructor(readonly config: PipelineConfig, readonly settings: RunSettings) {
    // A realtime run may last for days: keep only the newest results in memory (sinks get all).
    this.dispatcher = new Dispatcher(settings.mode === "realtime" ? { keepResults: 1000 } : {});
    this.inference = new Inference(this.dispatcher, {
      pluginBase: config.baseDir,
      log: false,
      ...(config.ringBudget !== undefined ? { ringBudget: config.ringBudget } : {}),
    });
    const level = settings.logLevel;
    this.log = (at, line) => {
      if (logs(level, at)) console.error(line);
    };
    this.inference.observe(new LogObserver((line) => console.error(line), level));
    if (settings.progress) this.inference.observe(new ProgressBar());
    // record, restream, hls, snapshot, clips (the config's video outputs)
    this.video = attachVideo(this.inference, { ...config, sources: settings.sources }, {
      onMessage: (message) => this.log("warn", `stream-infer: ${message}`),
    });
  }

  /** A player for a source spec, with the config's producer settings. */
  readonly createPlayer = (spec: SourceSpec): Player =>
    new Player(new FFmpegProducer({ ...this.config.producer, ...spec.producer }), spec.url, {
      id: spec.id,
    });

  /**
   * Opens the outputs, loads the algorithms and adds the sources, in that order: every output
   * is checked (and locked) before any plugin loads or source opens, and a bad lone source
   * fails before any plugin starts.
   */
  async build(): Promise<void> {
    await this.#openOutputs();
    await this.settings.check?.();
    const players = this.settings.sources.map((spec) => ({
      spec,
      player: this.createPlayer(spec),
    }));
    if (players.length === 1) await players[0].player.open();
    for (const algo of this.config.algos) await this.#loadAlgo(algo);
    for (const entry of this.config.analytics ?? []) this.inference.addAnalytics(entry);
    if (this.config.analytics?.length) {
      this.inference.observe(new CountsSummary(this.log.bind(this, "info")));
    }
    for (const { spec, player } of players) {
      this.inference.addSource(player, {
        fps: spec.fps ?? this.settings.fps,
        position: spec.position ?? this.settings.position,
      });
    }
  }

  /**
   * Config sinks and `--out` (a JSONL file named twice is written once); with neither,
   * stdout as JSON Lines. File sinks open first, so a bad path fails before anything runs.
   */
  async #openOutputs(): Promise<void> {
    const out = this.settings.out;
    const seen = new Set<string>();
    const entries = [...this.config.sinks, ...(out ? [{ type: "jsonl" as const, path: out }] : [])]
      .filter((s) => s.type !== "jsonl" || (!seen.has(s.path) && !!seen.add(s.path)));
    for (const sink of await openSinks(entries)) {
      if (sink instanceof JsonlSink) this.files.push(sink);
      this.dispatcher.addSink(sink);
    }
    if (entries.length === 0) this.dispatcher.addSink(new StdoutSink());
  }

  /**
   * Loads one algo entry (a built-in plugin's grants and a missing permission's hint are
   * `loadAlgo`'s).
   */
  async #loadAlgo({ plugin, ...entry }: AlgoConfig): Promise<void> {
    await this.inference.loadAlgo(plugin, entry as Parameters<Inference["loadAlgo"]>[1]);
  }

  /** Ends the dispatcher's sinks and the inference. */
  async dispose(): Promise<void> {
    await this.dispatcher.abort();
    await this.inference.dispose();
  }
}
