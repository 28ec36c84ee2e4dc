/**
 * {@link DevSession}: the dev UI's runs. It reads the config file (when there is one), turns
 * the page's settings (sources, size, fps, colour order, start position, algos) into a config
 * on top of it, checks that with the config's own schema, builds it with the CLI's
 * `Pipeline`, and plays it in the background with the live view ({@link FrameHub}) and the
 * panels ({@link ResultsBoard}) watching. It is also the control API's target: sources added
 * or removed while running go through the control API to the running `Inference`.
 *
 * @module
 */
import { parseDocument, stringify } from "yaml";
import type { AnalyticsOptions } from "../analytics/config.ts";
import { Pipeline } from "../config/pipeline.ts";
import { parseConfig } from "../config/load.ts";
import type { PipelineConfig } from "../config/types.ts";
import type { ControlTarget } from "../control/server.ts";
import { errorMessage, InputError } from "../errors.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { Mode } from "../observe/observer.ts";
import type { PrometheusExporter } from "../observe/prometheus.ts";
import type { Player } from "../source/player.ts";
import type { SourceSpec } from "../source/spec.ts";
import type { ResultsBoard } from "./board.ts";
import type { FrameHub } from "./frames.ts";
import { type StartRequest, startSettings } from "./settings.ts";

const EMPTY: Metrics = {
  algos: {},
  player: { fps: 0, framesRead: 0, framesDropped: 0, reconnects: 0, stalls: 0 },
  sources: {},
};

interface Running {
  pipeline: Pipeline;
  mode: Mode;
  began: number;
  done: Promise<void>;
}

/**
 * The dev UI's runs (see the module docs).
 *
 * @example
 * ```ts ignore
 * import { DevSession } from "./session.ts";
 * import { FrameHub } from "./frames.ts";
 * import { ResultsBoard } from "./board.ts";
 * const session = new DevSession({ hub: new FrameHub(), board: new ResultsBoard() });
 * await session.start({ sources: [{ url: "clip.mp4" }], plugins: ["motion"] });
 * await session.stop();
 * ```
 */
export class DevSession implements ControlTarget {
  /** The config file, when the server was given one. */
  readonly file?: string;
  readonly #hub: FrameHub;
  readonly #board: ResultsBoard;
  readonly #exporter?: PrometheusExporter;
  #running?: Running;
  #starting = false;
  #last?: { metrics: Metrics; seconds: number; mode: Mode };
  #error?: string;
  #preview: AnalyticsOptions[] = [];

  /** Creates a session over a config file (or none) and the observers of every run. */
  constructor(options: {
    file?: string;
    hub: FrameHub;
    board: ResultsBoard;
    exporter?: PrometheusExporter;
  }) {
    this.file = options.file;
    this.#hub = options.hub;
    this.#board = options.board;
    this.#exporter = options.exporter;
  }

  /** Whether a run is being built or playing. */
  get busy(): boolean {
    return this.#starting || this.#running !== undefined;
  }

  /** The mode, run time and metrics of the current run (or the last one). */
  status(): { running: boolean; starting: boolean; mode?: Mode; seconds: number; error?: string } {
    const r = this.#running;
    return {
      running: r !== undefined,
      starting: this.#starting,
      mode: r?.mode ?? this.#last?.mode,
      seconds: r ? (performance.now() - r.began) / 1000 : this.#last?.seconds ?? 0,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
    };
  }

  /** The config as the file says now (a parsed copy), or `undefined` without a file. */
  async config(): Promise<PipelineConfig | undefined> {
    if (this.file === undefined) return undefined;
    return parseConfig(await Deno.readTextFile(this.file), this.file);
  }

  /** Lines and zones drawn but not saved; they are drawn with the config's. */
  get preview(): AnalyticsOptions[] {
    return this.#preview;
  }

  /** Sets the unsaved lines and zones (and redraws the overlay with them). */
  async setPreview(shapes: AnalyticsOptions[]): Promise<void> {
    this.#preview = shapes;
    await this.redraw();
  }

  /** Draws the config's analytics plus the preview from the next frame on. */
  async redraw(): Promise<void> {
    let saved: AnalyticsOptions[] = [];
    try {
      saved = (await this.config())?.analytics ?? [];
    } catch { /* a broken file draws nothing of its own */ }
    const names = new Set(this.#preview.map((s) => s.name));
    const all = [...saved.filter((s) => !names.has(s.name)), ...this.#preview];
    const label = (s: AnalyticsOptions) => ({ points: s.points, label: s.name });
    this.#hub.setShapes({
      lines: all.filter((s) => s.type === "line").map(label),
      zones: all.filter((s) => s.type === "zone").map(label),
    });
  }

  /**
   * Builds and starts a run from the page's settings; resolves once it plays (the sources
   * added, the plugins loaded). Throws a one-line {@link InputError} (or `ConfigError`,
   * `PluginError`) for bad settings, a missing file, a plugin that fails to load.
   */
  async start(request: StartRequest): Promise<void> {
    if (this.busy) throw new InputError("a run is already going: stop it first");
    this.#starting = true;
    this.#error = undefined;
    let pipeline: Pipeline | undefined;
    try {
      const text = this.file === undefined ? "" : await Deno.readTextFile(this.file);
      const raw = (parseDocument(text).toJS() ?? {}) as Record<string, unknown>;
      const { raw: merged, mode } = startSettings(raw, request);
      const file = this.file ?? `${Deno.cwd()}/serve.yaml`;
      let config: PipelineConfig;
      try {
        config = parseConfig(stringify(merged), file);
      } catch (e) {
        // the lines are those of the merged settings, not of the file: keep the key's message
        throw new InputError(errorMessage(e).replace(/^.*?:\d+: /, "settings: "));
      }
      if (config.sources.length === 0) {
        throw new InputError("no source: give a path or URL (or 'source:' in the config)");
      }
      pipeline = new Pipeline(config, {
        mode,
        position: config.position,
        fps: config.fps,
        sources: config.sources,
        logLevel: "warn",
        progress: false,
      });
      const { inference } = pipeline;
      inference.observe(this.#board);
      inference.observe(this.#hub);
      if (this.#exporter) inference.observe(this.#exporter);
      await this.redraw();
      await pipeline.build();
      const began = performance.now();
      const run = inference.start(undefined, { mode });
      const running: Running = { pipeline, mode, began, done: Promise.resolve() };
      running.done = this.#finish(running, run);
      this.#running = running;
    } catch (e) {
      this.#error = errorMessage(e);
      await pipeline?.dispose();
      throw e;
    } finally {
      this.#starting = false;
    }
  }

  /** Stops the run (its ffmpeg processes and workers end) and resolves once it has. */
  async stop(): Promise<void> {
    const r = this.#running;
    if (!r) return;
    r.pipeline.inference.stop();
    await r.done;
  }

  /** Resolves when the current run (if any) has ended and been cleaned up. */
  async finished(): Promise<void> {
    await this.#running?.done;
  }

  /** The metrics of the current run, or the last run's. */
  metrics(): Metrics {
    return this.#running?.pipeline.inference.metrics() ?? this.#last?.metrics ?? EMPTY;
  }

  /** Adds a source to the running pipeline (the control API's `POST /sources`). */
  addSource(player: Player, options?: { fps?: number; position?: number }): void {
    const r = this.#running;
    if (!r) throw new InputError("no run: press start first");
    r.pipeline.inference.addSource(player, options);
  }

  /** Removes a source from the running pipeline (the control API's `DELETE /sources/:id`). */
  removeSource(id: string): Promise<boolean> {
    return this.#running?.pipeline.inference.removeSource(id) ?? Promise.resolve(false);
  }

  /** A player for a source added while running, with the run's producer settings. */
  readonly createPlayer = (spec: SourceSpec): Player => {
    const r = this.#running;
    if (!r) throw new InputError("no run: press start first");
    return r.pipeline.createPlayer(spec);
  };

  async #finish(running: Running, run: Promise<unknown>): Promise<void> {
    const { pipeline } = running;
    try {
      await run;
      await pipeline.dispatcher.flush();
    } catch (e) {
      this.#error = errorMessage(e);
      this.#board.note(this.#error);
    } finally {
      this.#last = {
        metrics: pipeline.inference.metrics(),
        seconds: (performance.now() - running.began) / 1000,
        mode: running.mode,
      };
      await pipeline.dispose().catch((e) => this.#board.note(errorMessage(e)));
      await this.#hub.settled();
      this.#last.metrics = pipeline.inference.metrics();
      if (this.#running === running) this.#running = undefined;
    }
  }
}
