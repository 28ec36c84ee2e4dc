/**
 * {@link RedisSink}: each record added to a Redis stream (`XADD`, ioredis).
 *
 * @module
 */
import type { Redis } from "ioredis";
import { InputError } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import { DeliveryQueue, PartialSendError, seconds, waitFor } from "./queue.ts";
import type { Sink, SinkEvents, SinkStats } from "./sink.ts";
import { expandTemplate, recordJson } from "./template.ts";

/**
 * Options of {@link RedisSink}. Times are in seconds.
 *
 * @example
 * ```ts
 * import type { RedisSinkOptions } from "@stream-infer/stream-infer";
 * const opts: RedisSinkOptions = { url: "redis://127.0.0.1:6379", stream: "si:{source}", maxLen: 100000 };
 * ```
 */
export interface RedisSinkOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Stream key of each record; `{source}` and `{algo}` are replaced (default `stream-infer:{source}`). */
  stream?: string;
  /** Trim each stream to about this many entries (`MAXLEN ~`); default: no trimming. */
  maxLen?: number;
  /** Records held while Redis is down; the oldest go first (default 10000). */
  maxQueue?: number;
  /** `XADD`s per pipeline at most (default 100). */
  batchSize?: number;
  /** Longest wait between retries while Redis is down (default 2). */
  backoffMax?: number;
  /** How long `close` keeps delivering what is queued before dropping it (default 5). */
  closeTimeout?: number;
}

/** One record on its way: its stream key and JSON. */
interface Entry {
  key: string;
  json: string;
}

/**
 * `XADD`s each record to `stream`, the record's JSON (the JSONL key order) in a field named
 * `record`, trimmed to about `maxLen` entries when set. One kept ioredis client reconnects by
 * itself; it queues nothing (no offline queue, no resending): the sink's bounded
 * {@link DeliveryQueue} holds the records while Redis is down and sends them in order, in
 * pipelines of `batchSize`, once it is back. An `XADD` whose reply was lost with the
 * connection is sent again, so it may be in the stream twice.
 *
 * @example
 * ```ts
 * import { RedisSink } from "@stream-infer/stream-infer";
 * const sink = new RedisSink({ url: "redis://127.0.0.1:6379", stream: "si:{source}" });
 * sink.write({ source: "gate", algo: "det", frame: 0, time: 0, position: 0, result: [] });
 * await sink.close(); // XRANGE si:gate - + now holds the record
 * ```
 */
export class RedisSink implements Sink {
  /** `redis HOST:PORT STREAM`. */
  readonly label: string;
  /** The client, once ioredis is loaded (lazily: a plugin importing mod.ts never loads it). */
  readonly #client: Promise<Redis>;
  readonly #queue: DeliveryQueue<Entry>;
  readonly #stream: string;
  #lastError?: Error;
  #closed?: Promise<void>;

  /** Starts connecting; records are queued until Redis is there. */
  constructor(options: RedisSinkOptions) {
    const url = checkUrl(options.url);
    this.#stream = options.stream ?? "stream-infer:{source}";
    if (this.#stream === "") throw new InputError("redis: the stream name is empty");
    const maxLen = options.maxLen;
    if (maxLen !== undefined && !(Number.isInteger(maxLen) && maxLen > 0)) {
      throw new InputError(`redis: maxLen must be a positive integer (got ${maxLen})`);
    }
    this.label = `redis ${url.host} ${this.#stream}`;
    this.#client = import("ioredis").then(({ Redis }) => {
      const client = new Redis(options.url, {
        // the sink's queue is the only one
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(attempt * 200, 1000),
        connectTimeout: 5000,
      });
      client.on("error", (e) => this.#lastError = e);
      client.on("ready", () => this.#lastError = undefined);
      return client;
    });
    this.#client.catch(() => {}); // reported by the first send
    const trim = maxLen !== undefined ? ["MAXLEN", "~", String(maxLen)] : [];
    this.#queue = new DeliveryQueue<Entry>({
      send: async (batch, signal) => {
        const client = await this.#client;
        if (client.status !== "ready" && !await waitFor(client, "ready", 1000, signal)) {
          const why = this.#lastError ? ` (${this.#lastError.message})` : "";
          throw new Error(`not connected${why}`);
        }
        const pipeline = client.pipeline();
        for (const { key, json } of batch) pipeline.xadd(key, ...trim, "*", "record", json);
        const results = (await pipeline.exec()) ?? [];
        const failed = batch.findIndex((_, i) => !results[i] || results[i][0]);
        if (failed >= 0) {
          throw new PartialSendError(failed, results[failed]?.[0] ?? new Error("no reply"));
        }
      },
      maxQueue: options.maxQueue ?? 10000,
      batchSize: options.batchSize ?? 100,
      backoffInitial: 50,
      backoffMax: seconds(options.backoffMax ?? 2, "backoffMax"),
      closeTimeout: seconds(options.closeTimeout ?? 5, "closeTimeout"),
    });
  }

  /** Queues one record; never waits. */
  write(record: AlgoRecord): void {
    this.#queue.push({
      key: expandTemplate(this.#stream, record),
      json: recordJson(record),
    });
  }

  /** Where failed `XADD`s and drops are reported. */
  watch(events: SinkEvents): void {
    this.#queue.watch(events);
  }

  /** Records added and dropped; the queue's high-water mark. */
  stats(): Omit<SinkStats, "sink" | "errors"> {
    return this.#queue.stats();
  }

  /** Sends what is queued (for at most `closeTimeout`), then disconnects. */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      try {
        await this.#queue.close();
      } finally {
        const client = await this.#client.catch(() => undefined);
        if (client?.status === "ready") await client.quit().catch(() => {});
        client?.disconnect();
      }
    })();
  }
}

function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`redis: not a URL: ${text}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new InputError(`redis: the URL must be redis://host:port (got ${text})`);
  }
  return url;
}
