/**
 * {@link LogObserver}: the run's default voice on stderr, and the log levels
 * (`error`, `warn`, `info`, `debug`) it and the CLI share.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { AlgoEvent, RunObserver, SourceEvent } from "./observer.ts";

/**
 * How much is printed: `error` (failures only), `warn` (and warnings, source trouble,
 * restarts), `info` (and what the CLI does: grants, the control API, the summary; the default),
 * `debug` (and every source and algorithm event).
 *
 * @example
 * ```ts
 * import type { LogLevel } from "@stream-infer/stream-infer";
 * const level: LogLevel = "warn";
 * ```
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

/**
 * The log levels, least verbose first.
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from "@stream-infer/stream-infer";
 * console.log(LOG_LEVELS.join("|")); // error|warn|info|debug
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

/**
 * Reads a log level; throws {@link InputError} for anything else.
 *
 * @example
 * ```ts
 * import { parseLogLevel } from "@stream-infer/stream-infer";
 * console.log(parseLogLevel("debug")); // "debug"
 * ```
 */
export function parseLogLevel(text: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(text)) return text as LogLevel;
  throw new InputError(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got '${text}')`);
}

/**
 * Whether a message of level `message` is printed at level `level`.
 *
 * @example
 * ```ts
 * import { logs } from "@stream-infer/stream-infer";
 * console.log(logs("warn", "info"), logs("warn", "debug")); // true false
 * ```
 */
export function logs(level: LogLevel, message: LogLevel): boolean {
  return LOG_LEVELS.indexOf(message) <= LOG_LEVELS.indexOf(level);
}

/** The level of each source event's line. */
const SOURCE_LEVELS: Readonly<Record<string, LogLevel>> = {
  failed: "error",
  lost: "error",
  stall: "warn",
  interrupted: "warn",
  reconnect: "warn",
  warning: "warn",
};

/**
 * Prints warnings, source trouble (stalls, reconnects, lost and failed sources) and algorithm
 * restarts as one line each, `stream-infer: <type>: <message>`, as they happen. A warning that repeats
 * word for word (a sandbox that is off, for every instance) is printed once. `level` (default
 * `info`) filters them: failures and disabled algorithms are `error`, the rest `warn`; at
 * `debug` every other event (a source opened or ended, ...) is printed too.
 *
 * @example
 * ```ts
 * import { LogObserver } from "@stream-infer/stream-infer";
 * const lines: string[] = [];
 * const log = new LogObserver((line) => lines.push(line));
 * log.onSource({ source: "cam", type: "reconnect", message: "cam: reconnecting in 1 s" });
 * console.log(lines[0]); // "stream-infer: reconnect: cam: reconnecting in 1 s"
 * ```
 */
export class LogObserver implements RunObserver {
  readonly #write: (line: string) => void;
  readonly #warned = new Set<string>();
  readonly #level: LogLevel;

  /** Creates the logger; `write` receives each line (default: `console.error`). */
  constructor(
    write: (line: string) => void = (line) => console.error(line),
    level: LogLevel = "info",
  ) {
    this.#write = write;
    this.#level = level;
  }

  /** Prints source trouble. */
  onSource(event: SourceEvent): void {
    if (logs(this.#level, SOURCE_LEVELS[event.type] ?? "debug")) {
      this.#write(`stream-infer: ${event.type}: ${event.message}`);
    }
  }

  /** Prints algorithm warnings, restarts and disabling. */
  onAlgo(event: AlgoEvent): void {
    const level = event.type === "disabled" ? "error" : event.type === "granted" ? "info" : "warn";
    if (!logs(this.#level, level)) return;
    if (event.type === "granted") return this.#write(`stream-infer: ${event.message}`);
    if (event.type === "warning") {
      const plain = event.message.replace(/^\[instance \d+\] /, "");
      if (this.#warned.has(plain)) return;
      this.#warned.add(plain);
    }
    this.#write(`stream-infer: ${event.type}: ${event.message}`);
  }
}
