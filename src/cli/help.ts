/**
 * The help texts of the command line: the overview and one per command
 * (`stream-infer COMMAND --help`).
 *
 * @module
 */

const EXIT_CODES = "Exit codes: 0 success, 1 runtime failure, 2 bad usage or input " +
  "(config errors included), 130 interrupted.";

/**
 * The overview (`stream-infer help`).
 *
 * @example
 * ```ts
 * import { HELP } from "./help.ts";
 * console.log(HELP.split("\n")[0]);
 * ```
 */
export const HELP = `stream-infer: run your image algorithms on video files, cameras and streams

Usage:
  stream-infer run CONFIG.yaml [options]     play a pipeline (see: stream-infer run --help)
  stream-infer validate CONFIG.yaml          check a config without running it
  stream-infer probe SOURCE                  print a source's size, fps and length as JSON
  stream-infer plugin hash URL|PATH          print a plugin's integrity pin
  stream-infer serve [CONFIG.yaml] [options] the dev web UI (see: stream-infer serve --help)
  stream-infer help [COMMAND]                this text, or a command's

Every command takes --help.

Built-in plugins: 'plugin: yolo' and 'plugin: motion' in an algo entry name the package's
own plugins; relative paths in a config are relative to the config file; \${VAR} and
\${VAR:-default} in values come from the environment.

Examples:
  stream-infer run examples/pipeline.yaml --out results.jsonl
  stream-infer validate examples/yolo.yaml
  stream-infer probe ../shared/media/car-detection.mp4

${EXIT_CODES}
`;

/**
 * The help of each command, by name.
 *
 * @example
 * ```ts
 * import { COMMAND_HELP } from "./help.ts";
 * console.log(COMMAND_HELP.run);
 * ```
 */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  run: `Usage: stream-infer run CONFIG.yaml [options]

Plays the config's sources through its algorithms. Records go to the config's sinks, to
--out, or (with neither) to stdout as JSON Lines. At the end a summary per source and per
algorithm is printed on stderr (played frames, decoded frames, runs, sink figures).

Options:
  --source S          play S (path, rtsp://, http(s)://, /dev/video0, ...) as the one
                      source 'main', instead of the config's sources
  --mode M            offline (every frame, deterministic) or realtime
  --out FILE          also write JSONL records to FILE
  --fps N             override the requested fps
  --position S        override the start position, in seconds
  --control [HOST:]PORT
                      serve the control API (sources, /metrics) on HOST (default
                      127.0.0.1); off loopback it needs control.token
  --log-level L       error, warn, info (default) or debug
  --quiet             no progress bar and no summary (the same as --log-level warn)
  -h, --help          this text

Examples:
  stream-infer run examples/pipeline.yaml --out results.jsonl
  stream-infer run examples/pipeline.yaml --source other.mp4 --fps 5 --log-level debug

${EXIT_CODES}
`,
  validate: `Usage: stream-infer validate CONFIG.yaml

Checks everything that can be checked without running: the YAML, the schema (unknown keys,
types, ranges), \${VAR} references, that local sources, plugins, model files named in
options and output folders exist, that plugins resolve and load-check against their
grants, and the integrity pins of pinned remote plugins (an unpinned remote plugin with
'trust: true' is not fetched).

Prints 'CONFIG: OK (...)' and exits 0, or one line per problem, 'CONFIG:LINE: key: problem',
and exits 2.

Options:
  -h, --help          this text
`,
  probe: `Usage: stream-infer probe SOURCE

Prints the source's width, height, fps, frame count, duration and liveness as JSON.

Options:
  -h, --help          this text
`,
  serve: `Usage: stream-infer serve [CONFIG.yaml] [options]

Serves the dev web UI: set the sources, frame size, fps, colour order and start position,
pick the algos (the config's, built-in names or plugin paths/URLs), start and stop, add and
remove sources while running, watch the annotated frames (MJPEG), each algo's newest result,
its timeline and the metrics, and draw lines and zones that are saved into CONFIG.yaml's
analytics: list (comments kept). Ctrl-C stops the run and the server.

Options:
  --port N            port to listen on (default 8501; 0 picks a free one)
  --host H            host to listen on (default 127.0.0.1); off loopback it needs --token
  --token T           every request needs it: open http://HOST:PORT/?token=T once
  --start             start CONFIG.yaml's run at once
  --max-fps N         most live frames per second and source (default 15)
  -h, --help          this text

Examples:
  stream-infer serve examples/pipeline.yaml
  stream-infer serve examples/traffic_count.yaml --start --port 8600

${EXIT_CODES}
`,
  plugin: `Usage: stream-infer plugin hash URL|PATH

Prints a plugin's integrity pin (sha256-...), the value of its algo entry's 'integrity'
key. A remote plugin without one loads only with 'trust: true'.

Options:
  -h, --help          this text
`,
};

/**
 * Whether the arguments ask for help (`-h` or `--help` anywhere).
 *
 * @example
 * ```ts
 * import { wantsHelp } from "./help.ts";
 * console.log(wantsHelp(["p.yaml", "--help"])); // true
 * ```
 */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}
