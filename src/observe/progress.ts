/**
 * {@link ProgressBar}: a one-line progress display on a terminal, built on the run's
 * observer events.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { RunObserver, SourceEvent } from "./observer.ts";

interface Track {
  start: number;
  end: number | null;
  time: number;
  done: boolean;
}

/**
 * Draws the progress of every source on one line of stderr, at most 5 times a second: with
 * one source a bar with the position, speed and ETA; with several, each source's percentage
 * (or seconds played, when live). Attach with `inference.observe(new ProgressBar())`.
 *
 * @example
 * ```ts
 * import { Inference, ProgressBar } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * if (Deno.stderr.isTerminal()) inference.observe(new ProgressBar());
 * ```
 */
export class ProgressBar implements RunObserver {
  readonly #tracks = new Map<string, Track>();
  readonly #encoder = new TextEncoder();
  readonly #write: (text: string) => void;
  #began = 0;
  #lastDraw = 0;

  /** Creates the bar; `write` receives the text to print (default: stderr). */
  constructor(write?: (text: string) => void) {
    this.#write = write ?? ((text) => Deno.stderr.writeSync(this.#encoder.encode(text)));
  }

  /** Starts the clock. */
  onStart(): void {
    this.#began = performance.now();
    this.#tracks.clear();
  }

  /** Learns each source's length when it opens, and when it ends. */
  onSource(event: SourceEvent): void {
    if (event.type === "opened" && event.opened) {
      const { info, position } = event.opened;
      this.#tracks.set(event.source, {
        start: position,
        end: info.duration,
        time: position,
        done: false,
      });
    } else if (["ended", "lost", "failed", "removed"].includes(event.type)) {
      const track = this.#tracks.get(event.source);
      if (track) track.done = true;
    }
  }

  /** Moves the source's position and redraws when due. */
  onFrame(frame: Frame): void {
    const track = this.#tracks.get(frame.source);
    if (!track) return;
    track.time = frame.time;
    const now = performance.now();
    if (now - this.#lastDraw < 200) return;
    this.#lastDraw = now;
    this.#write(`\r${this.line(now)}\x1b[K`);
  }

  /** Clears the line. */
  onEnd(): void {
    this.#write("\r\x1b[2K");
  }

  /** The text of the line at `now` (performance.now()). */
  line(now: number = performance.now()): string {
    const elapsed = (now - this.#began) / 1000;
    if (this.#tracks.size === 1) {
      const [t] = this.#tracks.values();
      if (t.end === null) return `${t.time.toFixed(1)} s played (live)`;
      const total = Math.max(1e-9, t.end - t.start);
      const done = Math.min(1, Math.max(0, (t.time - t.start) / total));
      const eta = done > 0 ? (elapsed / done) * (1 - done) : NaN;
      const width = 30;
      const filled = Math.round(done * width);
      const speed = elapsed > 0 ? (t.time - t.start) / elapsed : 0;
      return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
        `${(done * 100).toFixed(0).padStart(3)}% ${t.time.toFixed(1)}/${t.end.toFixed(1)} s  ` +
        `${speed.toFixed(1)}x  ETA ${Number.isFinite(eta) ? clock(eta) : "--:--"}`;
    }
    const parts: string[] = [];
    for (const [id, t] of this.#tracks) {
      const what = t.end === null
        ? `${t.time.toFixed(0)} s`
        : `${Math.round(Math.min(1, (t.time - t.start) / Math.max(1e-9, t.end - t.start)) * 100)}%`;
      parts.push(`${id} ${t.done ? "done" : what}`);
    }
    return `${parts.join(" | ")}  (${clock(elapsed)})`;
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
