/**
 * The `stream-infer` command line: `run`, `validate`, `probe`, `plugin hash`, `serve` and `help`.
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
import { type LogLevel, logs, parseLogLevel } from "../observe/log.ts";
import type { Mode } from "../observe/observer.ts";
import { PrometheusExporter } from "../observe/prometheus.ts";
import { hashPlugin } from "../plugin/integrity.ts";
import type { Inference, RunSummary } from "../run/inference.ts";
import type { JsonlSink } from "../sinks/jsonl.ts";
import { probe } from "../source/probe.ts";
import type { SourceSpec } from "../source/spec.ts";
import { ConfigProblems } from "../config/issues.ts";
import { loadConfig } from "../config/load.ts";
import type { PipelineConfig } from "../config/types.ts";
import { validateConfigFile } from "../config/validate.ts";
import { COMMAND_HELP, HELP, wantsHelp } from "./help.ts";
import { Pipeline } from "../config/pipeline.ts";
import { videoSummary } from "../video/config.ts";
import { serveCommand } from "../dev/command.ts";
import { formatSummary } from "./summary.ts";

export { formatSummary } from "./summary.ts";

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
      "log-level": { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    throw new InputError("run takes one CONFIG.yaml (see stream-infer run --help)");
  }
  const logLevel: LogLevel = values["log-level"] !== undefined
    ? parseLogLevel(values["log-level"])
    : values.quiet
    ? "warn"
    : "info";
  const file = positionals[0];
  const config: PipelineConfig = await loadConfig(file);
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
  const pipeline = new Pipeline(config, {
    mode,
    fps: parseNumber("fps", values.fps) ?? config.fps,
    position: parseNumber("position", values.position) ?? config.position,
    sources,
    ...(values.out !== undefined ? { out: localPath(values.out) } : {}),
    logLevel,
    progress: logs(logLevel, "info") && Deno.stderr.isTerminal(),
    // once the outputs are open: the local files the config names (plugins), with their lines
    check: async () => {
      const { problems } = await validateConfigFile(file, {
        remote: false,
        options: false,
        sources: values.source === undefined,
      });
      if (problems.length) throw new ConfigProblems(problems);
    },
  });
  const { inference } = pipeline;
  let control: ControlServer | undefined;
  const interrupt = new Interrupts(inference, pipeline.files);
  interrupt.listen();
  try {
    await pipeline.build();
    const listen = values.control ?? config.control?.listen;
    if (listen !== undefined) {
      const exporter = new PrometheusExporter({ metrics: () => inference.metrics() });
      inference.observe(exporter);
      control = serveControl({
        target: inference,
        createPlayer: pipeline.createPlayer,
        listen,
        token: config.control?.token,
        exporter,
      });
      pipeline.log("info", `stream-infer: control API on ${control.url}`);
    }
    if (interrupt.count) return 130;
    // from here on a run that fails midway still leaves the records it collected
    for (const file of pipeline.files) file.keep();
    let summary: RunSummary;
    try {
      summary = await inference.start(undefined, { mode });
    } catch (e) {
      // every source failed before a frame: each failure is on stderr already
      const states = Object.values(inference.metrics().sources).map((s) => s.state);
      if (e instanceof StreamInferError && states.every((s) => s === "failed")) return e.exitCode;
      throw e;
    }
    // the sinks' last records are delivered (or counted as dropped) before the figures
    await pipeline.dispatcher.flush();
    const sinks = pipeline.dispatcher.sinkStats();
    pipeline.log("info", formatSummary(summary, inference.metrics(), mode, sinks));
    if (pipeline.video) {
      for (const line of videoSummary(pipeline.video)) pipeline.log("info", `  ${line}`);
    }
    // a failed or lost source was reported on stderr when it happened
    const troubled = Object.values(summary.sources).some((s) =>
      s.state === "failed" || s.state === "lost"
    );
    if (troubled) return 1;
    return interrupt.count ? 130 : 0;
  } finally {
    interrupt.unlisten();
    await control?.shutdown();
    await pipeline.dispose();
  }
}

/** `validate CONFIG.yaml`: one OK line, or one line per problem and exit 2. */
async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) {
    throw new InputError("validate takes one CONFIG.yaml (see stream-infer validate --help)");
  }
  const file = positionals[0];
  const { config, problems } = await validateConfigFile(file);
  if (problems.length) {
    for (const problem of problems) print(`stream-infer: ${oneLine(problem)}`, "stderr");
    return 2;
  }
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  print(
    `${file}: OK (${count(config!.sources.length, "source")}, ${
      count(config!.algos.length, "algo")
    }, ${count(config!.sinks.length, "sink")})`,
  );
  return 0;
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
    if (command !== undefined && COMMAND_HELP[command] && wantsHelp(rest)) {
      print(COMMAND_HELP[command]);
      return 0;
    }
    switch (command) {
      case "run":
        return await runCommand(rest);
      case "validate":
        return await validateCommand(rest);
      case "serve":
        return await serveCommand(rest);
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
      case "help":
        if (rest.length === 1 && COMMAND_HELP[rest[0]]) {
          print(COMMAND_HELP[rest[0]]);
          return 0;
        }
        if (rest.length && !wantsHelp(rest)) {
          throw new InputError(`no help for '${rest.join(" ")}' (see stream-infer help)`);
        }
        print(HELP);
        return 0;
      case undefined:
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
      const which = COMMAND_HELP[command] ? `stream-infer ${command} --help` : "stream-infer help";
      print(`stream-infer: ${message} (see ${which})`, "stderr");
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
    const debug = args.some((a, i) =>
      a === "--log-level=debug" || (a === "--log-level" && args[i + 1] === "debug")
    );
    if (debug || Deno.env.get("STREAM_INFER_DEBUG")) console.error(e);
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
