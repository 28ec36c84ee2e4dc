/**
 * {@link Observers}: hands each run event to every attached {@link RunObserver}, isolating
 * them from the run and from each other.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import { errorMessage } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import type {
  AlgoEvent,
  AlgoRun,
  RunEnd,
  RunObserver,
  RunStart,
  RunTiming,
  SkippedRun,
  SourceEvent,
} from "./observer.ts";

/**
 * The observers of a run. An observer that throws is reported once on stderr and detached;
 * the run and the other observers go on.
 *
 * @example
 * ```ts
 * import { Observers } from "./fanout.ts";
 * const observers = new Observers();
 * const detach = observers.add({ onSource: (e) => console.log(e.type) });
 * observers.onSource({ source: "main", type: "added", message: "main: added" });
 * detach();
 * ```
 */
export class Observers implements Required<Omit<RunObserver, "everyFrame">> {
  #list: RunObserver[] = [];

  /** Attaches an observer (in order); returns a function that detaches it. */
  add(observer: RunObserver): () => void {
    this.#list = [...this.#list, observer];
    return () => this.#detach(observer);
  }

  /** Whether an attached observer wants every played frame. */
  get everyFrame(): boolean {
    return this.#list.some((o) => o.everyFrame === true);
  }

  #detach(observer: RunObserver): void {
    this.#list = this.#list.filter((o) => o !== observer);
  }

  #failed(observer: RunObserver, e: unknown): void {
    this.#detach(observer);
    console.error(`stream-infer: an observer failed and was detached: ${errorMessage(e)}`);
  }

  #each(call: (o: RunObserver) => unknown): void {
    for (const o of this.#list) {
      try {
        const out = call(o);
        if (out instanceof Promise) out.catch((e) => this.#failed(o, e));
      } catch (e) {
        this.#failed(o, e);
      }
    }
  }

  async #awaitEach(call: (o: RunObserver) => unknown): Promise<void> {
    for (const o of this.#list) {
      try {
        // only a promise is awaited: most observers handle most events synchronously or not at
        // all, and this runs for every frame and record
        const out = call(o);
        if (out instanceof Promise) await out;
      } catch (e) {
        this.#failed(o, e);
      }
    }
  }

  /** See {@link RunObserver.onStart}. */
  onStart(start: RunStart): void {
    this.#each((o) => o.onStart?.(start));
  }

  /** See {@link RunObserver.onSource}. */
  onSource(event: SourceEvent): void {
    this.#each((o) => o.onSource?.(event));
  }

  /** See {@link RunObserver.onAlgo}. */
  onAlgo(event: AlgoEvent): void {
    this.#each((o) => o.onAlgo?.(event));
  }

  /** See {@link RunObserver.onRunStart}. */
  onRunStart(run: AlgoRun): void {
    this.#each((o) => o.onRunStart?.(run));
  }

  /** See {@link RunObserver.onSkip}. */
  onSkip(skip: SkippedRun): void {
    this.#each((o) => o.onSkip?.(skip));
  }

  /** See {@link RunObserver.onRecord}. */
  onRecord(record: AlgoRecord, timing: RunTiming): Promise<void> {
    return this.#awaitEach((o) => o.onRecord?.(record, timing));
  }

  /** See {@link RunObserver.onFrame}. */
  onFrame(frame: Frame, ran: readonly AlgoRecord[]): Promise<void> {
    return this.#awaitEach((o) => o.onFrame?.(frame, ran));
  }

  /** See {@link RunObserver.onEnd}. */
  onEnd(end: RunEnd): Promise<void> {
    return this.#awaitEach((o) => o.onEnd?.(end));
  }
}
