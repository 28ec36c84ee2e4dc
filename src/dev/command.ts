/**
 * `stream-infer serve [CONFIG.yaml] [--port 8501] [--host 127.0.0.1] [--start] [--token T]`:
 * the dev web UI from the command line. It serves until SIGINT or SIGTERM, then stops the
 * run and ends every ffmpeg it started.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load.ts";
import { InputError } from "../errors.ts";
import { DEFAULT_DEV_PORT, serveDev } from "./server.ts";

/**
 * Runs the `serve` command with its arguments (after `serve`) and returns the exit code.
 * Bad arguments throw {@link InputError} (exit 2).
 *
 * @example
 * ```ts ignore
 * import { serveCommand } from "./command.ts";
 * Deno.exit(await serveCommand(["examples/pipeline.yaml", "--port", "8501"]));
 * ```
 */
export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      token: { type: "string" },
      start: { type: "boolean", default: false },
      "max-fps": { type: "string" },
    },
  });
  if (positionals.length > 1) {
    throw new InputError("serve takes at most one CONFIG.yaml (see stream-infer serve --help)");
  }
  const port = values.port === undefined ? DEFAULT_DEV_PORT : Number(values.port);
  if (!/^\d{1,5}$/.test(values.port ?? "0") || port > 65535) {
    throw new InputError(`--port must be an integer from 0 to 65535 (got '${values.port}')`);
  }
  const maxFps = values["max-fps"] === undefined ? undefined : Number(values["max-fps"]);
  if (maxFps !== undefined && !(maxFps > 0)) {
    throw new InputError(`--max-fps must be a number > 0 (got '${values["max-fps"]}')`);
  }
  const file = positionals[0];
  if (file !== undefined) {
    // a missing or broken config is bad input now, not an error on the page later
    await loadConfig(file);
  }
  if (values.start && file === undefined) {
    throw new InputError("--start needs a CONFIG.yaml (its sources and algos are played)");
  }
  const server = serveDev({
    config: file,
    port,
    host: values.host,
    token: values.token,
    start: values.start,
    maxFps,
  });
  console.error(`stream-infer: dev UI on ${server.url}${values.token ? "/?token=..." : ""}`);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => void server.shutdown();
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await server.finished;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    await server.shutdown();
  }
  return 0;
}
