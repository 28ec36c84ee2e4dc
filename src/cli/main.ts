/**
 * The `stream-infer` command line: `run`, `probe` and `help`.
 *
 * ```sh
 * deno run -A jsr:@stream-infer/stream-infer/cli run pipeline.yaml --out results.jsonl
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ControlServer, serveControl } from "../control/server.ts";
import { InputError, StreamInferError } from "../errors.ts";
import type { Mode } from "../observe/observer.ts";
import { ProgressBar } from "../observe/progress.ts";
import { PrometheusExporter } from "../observe/prometheus.ts";
import { hashPlugin } from "../plugin/integrity.ts";
import { Dispatcher } from "../run/dispatcher.ts";
import { Inference, type RunSummary } from "../run/inference.ts";
import { JsonlSink } from "../sinks/jsonl.ts";
import { StdoutSink } from "../sinks/stdout.ts";
import { Player } from "../source/player.ts";
import { probe } from "../source/probe.ts";
import { FFmpegProducer } from "../source/producer.ts";
import type { SourceSpec } from "../source/spec.ts";
import { loadConfig } from "../config/load.ts";
import type { AlgoConfig, PipelineConfig } from "../config/types.ts";
import { attachVideo } from "../video/config.ts";
import { formatSummary } from "./summary.ts";

export { formatSummary } from "./summary.ts";

const HELP = `stream-infer: run your image algorithms on video files, cameras and streams

Usage:
  stream-infer run CONFIG.yaml [--source S] [--mode offline|realtime] [--out FILE]
                               [--fps N] [--position SECONDS] [--control [HOST:]PORT]
                               [--quiet]
  stream-infer probe SOURCE
  stream-infer plugin hash URL|PATH
  stream-infer help

Commands:
  run     play the config's sources through its algorithms; records go to the config's
          sinks, to --out, or (with neither) to stdout as JSON Lines
  probe   print the source's width, height, fps, frame count, duration and liveness as JSON
  plugin hash
          print a plugin's integrity pin (sha256-...), the value of its algo entry's
          'integrity' key; a remote plugin without one loads only with 'trust: true'

Options of run:
  --source S      play S (path, rtsp://, http(s)://, /dev/video0, ...) as the one source
                  'main', instead of the config's sources
  --mode M        override the mode: offline (every frame, deterministic) or realtime
  --out FILE      also write JSONL records to FILE
  --fps N         override the requested fps
  --position S    override the start position, in seconds
  --control [HOST:]PORT
                  serve the control API (add and remove sources, /metrics) on
                  HOST (default 127.0.0.1); off loopback it needs control.token
  --quiet         no progress bar and no summary

Examples:
  stream-infer run examples/pipeline.yaml --out results.jsonl
  stream-infer run examples/pipeline.yaml --source other.mp4 --fps 5
  stream-infer probe ../shared/media/car-detection.mp4
  stream-infer plugin hash https://example.com/plugins/motion.ts

Exit codes: 0 success, 1 runtime failure, 2 bad usage or input.
`;

function print(text: string, stream: "stdout" | "stderr" = "stdout"): void {
  const bytes = new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n");
  (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(bytes);
}

function parseNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new InputError(`--${flag} must be a number (got '${value}')`);
  }
  return n;
}

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      source: { type: "string" },
      mode: { type: "string" },
      out: { type: "string" },
      fps: { type: "string" },
      position: { type: "string" },
      control: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    throw new InputError("run takes one CONFIG.yaml (see stream-infer help)");
  }
  const config: PipelineConfig = await loadConfig(positionals[0]);
  const sources: SourceSpec[] = values.source !== undefined
    ? [{ id: "main", url: localPath(values.source) }]
    : config.sources;
  if (sources.length === 0) {
    throw new InputError("no source: set 'source' or 'sources' in the config, or pass --source");
  }
  const mode = (values.mode ?? config.mode) as Mode;
  if (mode !== "offline" && mode !== "realtime") {
    throw new InputError(`--mode must be offline or realtime (got '${mode}')`);
  }
  const fps = parseNumber("fps", values.fps) ?? config.fps;
  const position = parseNumber("position", values.position) ?? config.position;
  const createPlayer = (spec: SourceSpec) =>
    new Player(new FFmpegProducer({ ...config.producer, ...spec.producer }), spec.url, {
      id: spec.id,
    });

  // A realtime run may last for days: keep only the newest results in memory (sinks get all).
  const dispatcher = new Dispatcher(mode === "realtime" ? { keepResults: 1000 } : {});
  const inference = new Inference(dispatcher, {
    pluginBase: config.baseDir,
    ...(config.ringBudget !== undefined ? { ringBudget: config.ringBudget } : {}),
  });
  if (!values.quiet && Deno.stderr.isTerminal()) inference.observe(new ProgressBar());
  // record, restream, hls, snapshot, clips (the config's video outputs)
  attachVideo(inference, {
    ...config,
    sources: values.source !== undefined ? sources : config.sources,
  });
  let control: ControlServer | undefined;
  const files: JsonlSink[] = [];
  const interrupt = new Interrupts(inference, files);
  try {
    // every output is checked (and locked) before any plugin loads or source opens
    const named = [...config.sinks.map((s) => s.path), ...(values.out ? [values.out] : [])];
    // the same file named twice (a config sink and --out) is written once
    const paths = [...new Set(named.map(localPath))];
    for (const path of paths) {
      const sink = await JsonlSink.open(path);
      files.push(sink);
      dispatcher.addSink(sink);
    }
    if (paths.length === 0) dispatcher.addSink(new StdoutSink());
    interrupt.listen();
    const players = sources.map((spec) => ({ spec, player: createPlayer(spec) }));
    // a bad lone source fails before any plugin starts
    if (players.length === 1) await players[0].player.open();
    for (const algo of config.algos) await loadAlgo(inference, algo);
    for (const { spec, player } of players) {
      inference.addSource(player, {
        fps: spec.fps ?? fps,
        position: spec.position ?? position,
      });
    }
    const listen = values.control ?? config.control?.listen;
    if (listen !== undefined) {
      const exporter = new PrometheusExporter({ metrics: () => inference.metrics() });
      inference.observe(exporter);
      control = serveControl({
        target: inference,
        createPlayer,
        listen,
        token: config.control?.token,
        exporter,
      });
      if (!values.quiet) print(`stream-infer: control API on ${control.url}`, "stderr");
    }
    if (interrupt.count) return 130;
    // from here on a run that fails midway still leaves the records it collected
    for (const file of files) file.keep();
    let summary: RunSummary;
    try {
      summary = await inference.start(undefined, { mode });
    } catch (e) {
      // every source failed before a frame: each failure is on stderr already
      const states = Object.values(inference.metrics().sources).map((s) => s.state);
      if (e instanceof StreamInferError && states.every((s) => s === "failed")) return e.exitCode;
      throw e;
    }
    if (!values.quiet) print(formatSummary(summary, inference.metrics(), mode), "stderr");
    // a failed or lost source was reported on stderr when it happened
    const troubled = Object.values(summary.sources).some((s) =>
      s.state === "failed" || s.state === "lost"
    );
    if (troubled) return 1;
    return interrupt.count ? 130 : 0;
  } finally {
    interrupt.unlisten();
    await control?.shutdown();
    await dispatcher.abort();
    await inference.dispose();
  }
}

/**
 * SIGINT and SIGTERM of a run. Signals within {@link SIGNAL_WINDOW_MS} of the first count as
 * one: under `deno task` (or `timeout`) one Ctrl-C reaches the CLI twice, from the terminal's
 * process group and forwarded by the runner. The first stops the run; a later one forces the
 * exit, after writing what the file sinks hold.
 */
class Interrupts {
  count = 0;
  #first = 0;
  readonly #signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  #listening = false;

  constructor(readonly inference: Inference, readonly files: JsonlSink[]) {}

  readonly #on = () => {
    const now = performance.now();
    if (this.count > 0) {
      if (now - this.#first < SIGNAL_WINDOW_MS) return; // the same Ctrl-C, delivered twice
      print("stream-infer: second interrupt: exiting now", "stderr");
      for (const file of this.files) {
        try {
          file.exitSync();
        } catch (e) {
          print(`stream-infer: ${file.path}: ${oneLine(errorText(e))}`, "stderr");
        }
      }
      Deno.exit(130);
    }
    this.count = 1;
    this.#first = now;
    print("stream-infer: stopping (interrupt again to force)", "stderr");
    this.inference.stop();
  };

  listen(): void {
    for (const signal of this.#signals) Deno.addSignalListener(signal, this.#on);
    this.#listening = true;
  }

  unlisten(): void {
    if (!this.#listening) return;
    this.#listening = false;
    for (const signal of this.#signals) Deno.removeSignalListener(signal, this.#on);
  }
}

/** Signals this close to the first one are the same interrupt delivered twice. */
const SIGNAL_WINDOW_MS = 1000;

/** A `file:` URL as a local path (percent-decoded); anything else as it is. */
function localPath(path: string): string {
  if (!/^file:/i.test(path)) return path;
  try {
    return decodeURIComponent(new URL(path).pathname);
  } catch {
    throw new InputError(`not a valid file: URL: ${path}`);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first non-empty line of an error message, without terminal colour codes. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  return plain.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "error";
}

function loadAlgo(inference: Inference, { plugin, ...options }: AlgoConfig): Promise<void> {
  return inference.loadAlgo(plugin, options);
}

/**
 * Runs the CLI with the given arguments and returns the exit code. Errors are printed as one
 * line on stderr.
 *
 * @example
 * ```ts
 * import { main } from "@stream-infer/stream-infer/cli";
 * const code = await main(["probe", "video.mp4"]);
 * console.log(code);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "run":
        return await runCommand(rest);
      case "plugin": {
        if (rest[0] !== "hash" || rest.length !== 2) {
          throw new InputError("usage: stream-infer plugin hash URL|PATH");
        }
        print(await hashPlugin(rest[1]));
        return 0;
      }
      case "probe": {
        if (rest.length !== 1) throw new InputError("probe takes one SOURCE");
        const info = await probe(localPath(rest[0]));
        // a rational rate like 30000/1001 reads 29.97, not 29.97002997002997
        print(JSON.stringify({ ...info, fps: Math.round(info.fps * 1000) / 1000 }, null, 2));
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        print(HELP, command === undefined ? "stderr" : "stdout");
        return command === undefined ? 2 : 0;
      default:
        throw new InputError(`unknown command '${command}' (see stream-infer help)`);
    }
  } catch (e) {
    if (e instanceof StreamInferError) {
      print(`stream-infer: ${oneLine(e.message)}`, "stderr");
      return e.exitCode;
    }
    const message = oneLine(errorText(e));
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      print(`stream-infer: ${message} (see stream-infer help)`, "stderr");
      return 2;
    }
    if (e instanceof Deno.errors.NotCapable) {
      print(`stream-infer: missing permission: ${message}`, "stderr");
      return 2;
    }
    // a path the user gave that cannot be used: bad input, not a crash
    for (const [kind, what] of FILE_ERRORS) {
      if (e instanceof kind) {
        print(`stream-infer: ${what}: ${message}`, "stderr");
        return 2;
      }
    }
    print(`stream-infer: unexpected error: ${message}`, "stderr");
    if (Deno.env.get("STREAM_INFER_DEBUG")) console.error(e);
    return 1;
  }
}

/** Errors about a path the user gave, and how they read on stderr (all exit 2). */
const FILE_ERRORS: [new (...args: never[]) => Error, string][] = [
  [Deno.errors.PermissionDenied, "permission denied"],
  [Deno.errors.NotFound, "no such file"],
  [Deno.errors.IsADirectory, "is a directory"],
  [Deno.errors.NotADirectory, "not a directory"],
  [Deno.errors.AlreadyExists, "already exists"],
];

if (import.meta.main) Deno.exit(await main(Deno.args));
