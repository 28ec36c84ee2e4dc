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
import { type AlgoConfig, loadConfig, type PipelineConfig } from "./config.ts";
import { Dispatcher } from "../run/dispatcher.ts";
import { InputError, StreamInferError } from "../errors.ts";
import { Inference, type Mode, type RunSummary } from "../run/inference.ts";
import type { Metrics } from "../observe/metrics.ts";
import { Player } from "../source/player.ts";
import { probe } from "../source/probe.ts";
import { hashPlugin } from "../plugin/integrity.ts";
import { FFmpegProducer } from "../source/producer.ts";
import { JsonlSink, StdoutSink } from "../sinks/sink.ts";

const HELP = `stream-infer: run your image algorithms on video files, cameras and streams

Usage:
  stream-infer run CONFIG.yaml [--source S] [--mode offline|realtime] [--out FILE]
                               [--fps N] [--position SECONDS] [--quiet]
  stream-infer probe SOURCE
  stream-infer plugin hash URL|PATH
  stream-infer help

Commands:
  run     play the config's source through its algorithms; records go to the config's sinks,
          to --out, or (with neither) to stdout as JSON Lines
  probe   print the source's width, height, fps, frame count, duration and liveness as JSON
  plugin hash
          print a plugin's integrity pin (sha256-...), the value of its algo entry's
          'integrity' key; a remote plugin without one loads only with 'trust: true'

Options of run:
  --source S      override the config's source (path, rtsp://, http(s)://, /dev/video0, ...)
  --mode M        override the mode: offline (every frame, deterministic) or realtime
  --out FILE      also write JSONL records to FILE
  --fps N         override the requested fps
  --position S    override the start position, in seconds
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
      quiet: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    throw new InputError("run takes one CONFIG.yaml (see stream-infer help)");
  }
  const config: PipelineConfig = await loadConfig(positionals[0]);
  const source = values.source ?? config.source;
  if (!source) throw new InputError("no source: set 'source' in the config or pass --source");
  const mode = (values.mode ?? config.mode) as Mode;
  if (mode !== "offline" && mode !== "realtime") {
    throw new InputError(`--mode must be offline or realtime (got '${mode}')`);
  }
  if (config.record) {
    print(`stream-infer: warning: 'record' is not supported yet; ignored`, "stderr");
  }
  const fps = parseNumber("fps", values.fps) ?? config.fps;
  const position = parseNumber("position", values.position) ?? config.position;

  // A realtime run may last for days: keep only the newest results in memory (sinks get all).
  const dispatcher = new Dispatcher(mode === "realtime" ? { keepResults: 1000 } : {});
  const inference = new Inference(dispatcher);
  try {
    const player = new Player(new FFmpegProducer(config.producer), source, {
      progress: values.quiet ? false : "auto",
    });
    await player.open(); // a bad source fails before any plugin starts
    for (const algo of config.algos) await loadAlgo(inference, algo);
    const paths = [...config.sinks.map((s) => s.path), ...(values.out ? [values.out] : [])];
    for (const path of paths) dispatcher.addSink(await JsonlSink.open(path));
    if (paths.length === 0) dispatcher.addSink(new StdoutSink());
    let interrupted = 0;
    const onSignal = () => {
      if (++interrupted > 1) {
        print("stream-infer: second interrupt: exiting now", "stderr");
        Deno.exit(130);
      }
      print("stream-infer: stopping (interrupt again to force)", "stderr");
      inference.stop();
    };
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    for (const signal of signals) Deno.addSignalListener(signal, onSignal);
    let summary: RunSummary;
    try {
      summary = await inference.start(player, { fps, position, mode });
    } finally {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    }
    if (!values.quiet) print(formatSummary(summary, inference.metrics(), mode), "stderr");
    if (player.sourceLost) return 1;
    return interrupted ? 130 : 0;
  } finally {
    await dispatcher.abort();
    await inference.dispose();
  }
}

function loadAlgo(inference: Inference, { plugin, ...options }: AlgoConfig): Promise<void> {
  return inference.loadAlgo(plugin, options);
}

/**
 * Formats a run summary as a few human lines.
 *
 * @example
 * ```ts
 * import { formatSummary } from "@stream-infer/stream-infer/cli";
 * console.log(formatSummary({ frames: 10, seconds: 1, fps: 10, stopped: false, algos: {} }));
 * ```
 */
export function formatSummary(
  summary: RunSummary,
  metrics?: Metrics,
  mode: Mode = "offline",
): string {
  const lines = [
    `done: ${summary.frames} frames decoded at ${summary.fps} fps in ${
      summary.seconds.toFixed(2)
    } s${summary.stopped ? " (stopped)" : ""}`,
  ];
  if (metrics && mode === "realtime") {
    const p = metrics.player;
    lines.push(
      `  player: ${p.fps} fps, ${p.framesRead} frames read, ${p.framesDropped} dropped, ` +
        `${p.reconnects} reconnects, ${p.stalls} stalls`,
    );
  }
  for (const [name, stats] of Object.entries(summary.algos)) {
    const m = metrics?.algos[name];
    let line = `  ${name}: ${stats.runs} runs, ${stats.errors} errors`;
    if (m) {
      line += `, run p50/p95 ${ms(m.runMs.p50)}/${ms(m.runMs.p95)} ms`;
      if (mode === "realtime") {
        line += `, lag p50/p95 ${ms(m.lagMs.p50)}/${ms(m.lagMs.p95)} ms, ${m.skipped} skipped`;
      }
      if (m.restarts) line += `, ${m.restarts} restarts`;
      if (m.disabled) line += " (disabled)";
    }
    lines.push(line);
  }
  return lines.join("\n");
}

function ms(value: number | null): string {
  return value === null ? "-" : value.toFixed(1);
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
        print(JSON.stringify(await probe(rest[0]), null, 2));
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
      print(`stream-infer: ${e.message}`, "stderr");
      return e.exitCode;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      print(`stream-infer: ${(e as Error).message} (see stream-infer help)`, "stderr");
      return 2;
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      print(`stream-infer: missing permission: ${(e as Error).message}`, "stderr");
      return 1;
    }
    print(`stream-infer: unexpected error: ${(e as Error)?.message ?? e}`, "stderr");
    if (Deno.env.get("STREAM_INFER_DEBUG")) console.error(e);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
