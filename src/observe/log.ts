/**
 * {@link LogObserver}: the run's default voice on stderr.
 *
 * @module
 */
import type { AlgoEvent, RunObserver, SourceEvent } from "./observer.ts";

/** Source events worth a line: trouble, and what the player does about it. */
const LOGGED: ReadonlySet<string> = new Set([
  "stall",
  "interrupted",
  "reconnect",
  "warning",
  "lost",
  "failed",
]);

/**
 * Prints warnings, source trouble (stalls, reconnects, lost and failed sources) and algorithm
 * restarts as one line each, `stream-infer: <type>: <message>`, as they happen. A warning that repeats
 * word for word (a sandbox that is off, for every instance) is printed once.
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

  /** Creates the logger; `write` receives each line (default: `console.error`). */
  constructor(write: (line: string) => void = (line) => console.error(line)) {
    this.#write = write;
  }

  /** Prints source trouble. */
  onSource(event: SourceEvent): void {
    if (LOGGED.has(event.type)) this.#write(`stream-infer: ${event.type}: ${event.message}`);
  }

  /** Prints algorithm warnings, restarts and disabling. */
  onAlgo(event: AlgoEvent): void {
    if (event.type === "warning") {
      const plain = event.message.replace(/^\[instance \d+\] /, "");
      if (this.#warned.has(plain)) return;
      this.#warned.add(plain);
    }
    this.#write(`stream-infer: ${event.type}: ${event.message}`);
  }
}
