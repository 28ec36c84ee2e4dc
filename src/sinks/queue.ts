/**
 * {@link DeliveryQueue}: the bounded queue, batching, retry with capped exponential backoff
 * and drop counting that the network sinks (webhook, MQTT, Redis) share.
 *
 * @module
 */
import type { SinkEvents, SinkStats } from "./sink.ts";

/**
 * What a sender throws when only the first `accepted` items of a batch were delivered (a
 * pipeline cut short by a lost connection): those are counted as written, and only the rest
 * is sent again.
 *
 * @example
 * ```ts
 * import { PartialSendError } from "@stream-infer/stream-infer";
 * const e = new PartialSendError(3, new Error("Connection is closed."));
 * console.log(e.accepted, e.message); // 3 "Connection is closed."
 * ```
 */
export class PartialSendError extends Error {
  /** Creates the error: `accepted` items went through, then `cause` stopped the rest. */
  constructor(readonly accepted: number, cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = "PartialSendError";
  }
}

/**
 * Options of a {@link DeliveryQueue}. Times are in milliseconds.
 *
 * @example
 * ```ts
 * import type { DeliveryOptions } from "@stream-infer/stream-infer";
 * const opts: DeliveryOptions<string> = {
 *   send: async (batch) => { console.log(batch.join(",")); },
 *   maxQueue: 1000,
 *   batchSize: 50,
 *   flushInterval: 200,
 * };
 * ```
 */
export interface DeliveryOptions<T> {
  /**
   * Delivers one batch, in order; resolves once it is accepted. `signal` aborts when the close
   * timeout runs out. A rejection is retried unless `retryable` says otherwise.
   */
  send(batch: T[], signal: AbortSignal): Promise<void>;
  /** Whether a failed send is tried again (default: always). A batch not retried is dropped. */
  retryable?(error: unknown): boolean;
  /** Items held at most; when full, the oldest is dropped (default 10000). */
  maxQueue?: number;
  /** Items per send at most (default 1). */
  batchSize?: number;
  /** How long a batch that is not full waits for more items (default 0: send at once). */
  flushInterval?: number;
  /** First retry delay (default 100); doubles on each failure of the same batch. */
  backoffInitial?: number;
  /** Longest retry delay (default 5000). */
  backoffMax?: number;
  /** How long `close` waits for the queue to drain before it drops the rest (default 5000). */
  closeTimeout?: number;
}

/**
 * A bounded FIFO in front of a sender: `push` never waits, so a dead or slow peer never stalls
 * the pipeline, and memory stays bounded by `maxQueue`. One batch is in flight at a time, so
 * items are delivered in order, and a batch is sent again (after a capped exponential backoff)
 * until it is accepted: when the peer recovers, every item still queued arrives once, in
 * order. Items dropped (queue full, or left at the close timeout) are counted.
 *
 * @example
 * ```ts
 * import { DeliveryQueue } from "@stream-infer/stream-infer";
 * const queue = new DeliveryQueue<number>({
 *   send: async (batch) => { console.log("sent", batch); },
 *   batchSize: 10,
 * });
 * for (let i = 0; i < 25; i++) queue.push(i);
 * await queue.close();
 * console.log(queue.stats()); // { written: 25, dropped: 0, errors: 0, queueHighWater: ... }
 * ```
 */
export class DeliveryQueue<T> {
  readonly #send: (batch: T[], signal: AbortSignal) => Promise<void>;
  readonly #retryable: (error: unknown) => boolean;
  readonly #max: number;
  readonly #batchSize: number;
  readonly #flushInterval: number;
  readonly #backoffInitial: number;
  readonly #backoffMax: number;
  readonly #closeTimeout: number;
  readonly #abort = new AbortController();
  #items: T[] = [];
  #head = 0;
  /** The sender loop, while it runs (`#running` is cleared in the same tick it ends). */
  #pump: Promise<void> = Promise.resolve();
  #running = false;
  #wake?: () => void;
  #closing = false;
  #events?: SinkEvents;
  #written = 0;
  #dropped = 0;
  #errors = 0;
  #highWater = 0;

  /** Creates an empty queue; nothing is sent until the first `push`. */
  constructor(options: DeliveryOptions<T>) {
    this.#send = options.send;
    this.#retryable = options.retryable ?? (() => true);
    this.#max = positive("maxQueue", options.maxQueue ?? 10000);
    this.#batchSize = positive("batchSize", options.batchSize ?? 1);
    this.#flushInterval = options.flushInterval ?? 0;
    this.#backoffInitial = options.backoffInitial ?? 100;
    this.#backoffMax = options.backoffMax ?? 5000;
    this.#closeTimeout = options.closeTimeout ?? 5000;
  }

  /** Items waiting (not counting the batch in flight). */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Where failed sends and drops are reported (the sink's {@link SinkEvents}). */
  watch(events: SinkEvents): void {
    this.#events = events;
  }

  /** Queues one item; drops the oldest when the queue is full. Never waits. */
  push(item: T): void {
    if (this.#closing) {
      this.#drop(1);
      return;
    }
    if (this.size >= this.#max) {
      this.#head++;
      this.#drop(1);
    }
    this.#items.push(item);
    this.#highWater = Math.max(this.#highWater, this.size);
    if (this.size >= this.#batchSize || this.#flushInterval <= 0) this.#wake?.();
    this.#startPump();
  }

  /** The queue's figures so far. */
  stats(): Omit<SinkStats, "sink"> {
    return {
      written: this.#written,
      dropped: this.#dropped,
      errors: this.#errors,
      queueHighWater: this.#highWater,
    };
  }

  /**
   * Sends what is queued (without waiting for full batches) for at most `closeTimeout`; then
   * aborts the send in flight and drops the rest (counted). Later pushes are dropped.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    if (this.size > 0) this.#startPump();
    if (!this.#running) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) =>
      timer = setTimeout(resolve, this.#closeTimeout)
    );
    try {
      await Promise.race([this.#pump, deadline]);
    } finally {
      clearTimeout(timer);
    }
    this.#abort.abort(new Error("the close timeout ran out"));
    await this.#pump;
  }

  #startPump(): void {
    if (this.#running) return;
    this.#running = true;
    this.#pump = this.#run();
  }

  async #run(): Promise<void> {
    try {
      while (this.size > 0 && !this.#abort.signal.aborted) {
        if (!this.#closing && this.size < this.#batchSize && this.#flushInterval > 0) {
          await this.#sleep(this.#flushInterval, true);
        }
        const batch = this.#take();
        await this.#deliver(batch);
      }
      if (this.#abort.signal.aborted) this.#drop(this.#take(Infinity).length);
    } finally {
      // in the tick the loop saw an empty queue: a push from now on starts a new loop
      this.#running = false;
    }
  }

  #take(count = this.#batchSize): T[] {
    const end = Math.min(this.#items.length, this.#head + count);
    const batch = this.#items.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  async #deliver(items: T[]): Promise<void> {
    let batch = items;
    let delay = this.#backoffInitial;
    for (;;) {
      if (this.#abort.signal.aborted) return this.#drop(batch.length);
      try {
        await this.#send(batch, this.#abort.signal);
        this.#written += batch.length;
        return;
      } catch (e) {
        if (e instanceof PartialSendError && e.accepted > 0) {
          this.#written += e.accepted;
          batch = batch.slice(e.accepted);
        }
        this.#errors++;
        this.#events?.error(e);
        if (this.#abort.signal.aborted || !this.#retryable(e)) return this.#drop(batch.length);
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, this.#backoffMax);
    }
  }

  /**
   * Waits `ms`, or less: the close timeout ends every wait; a full batch or `close` also ends
   * the wait for a batch to fill (`fill`), never a backoff.
   */
  #sleep(ms: number, fill = false): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#abort.signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#abort.signal.addEventListener("abort", done);
      if (fill) this.#wake = done;
    });
  }

  #drop(count: number): void {
    if (count <= 0) return;
    this.#dropped += count;
    this.#events?.drop(count);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer (got ${value})`);
  }
  return value;
}

/** Seconds (an option's unit) as milliseconds; refuses a negative or non-finite value. */
export function seconds(value: number, name = "a time"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number of seconds >= 0 (got ${value})`);
  }
  return value * 1000;
}

/**
 * Resolves `true` once `event` is emitted, or `false` after `ms` or when `signal` aborts.
 * The network sinks wait this way for a (re)connection before a send counts as failed.
 */
export function waitFor(
  emitter: {
    once(event: string, listener: () => void): unknown;
    off(event: string, listener: () => void): unknown;
  },
  event: string,
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onEvent = () => done(true);
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    emitter.once(event, onEvent);
    signal.addEventListener("abort", onAbort);
  });
}
