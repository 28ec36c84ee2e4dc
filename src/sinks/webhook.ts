/**
 * {@link WebhookSink}: records POSTed as JSON arrays to an HTTP endpoint.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import { DeliveryQueue, seconds } from "./queue.ts";
import type { Sink, SinkEvents, SinkStats } from "./sink.ts";
import { recordJson } from "./template.ts";

/**
 * Options of {@link WebhookSink}. Times are in seconds.
 *
 * @example
 * ```ts
 * import type { WebhookSinkOptions } from "@stream-infer/stream-infer";
 * const opts: WebhookSinkOptions = {
 *   url: "http://127.0.0.1:8080/results",
 *   headers: { Authorization: `Bearer ${Deno.env.get("TOKEN")}` },
 *   batchSize: 50,
 *   flushInterval: 0.5,
 * };
 * ```
 */
export interface WebhookSinkOptions {
  /** `http://` or `https://` URL to POST to. */
  url: string;
  /** Extra request headers (`Content-Type: application/json` is set). */
  headers?: Record<string, string>;
  /** Records per POST at most (default 100). */
  batchSize?: number;
  /** How long a batch that is not full waits for more records (default 1). */
  flushInterval?: number;
  /** Records held while the endpoint is slow or down; the oldest go first (default 10000). */
  maxQueue?: number;
  /** One request's timeout (default 10). */
  timeout?: number;
  /** Longest wait between retries of a batch (default 5). */
  backoffMax?: number;
  /** How long `close` keeps delivering what is queued before dropping it (default 5). */
  closeTimeout?: number;
}

/** An HTTP answer that is not 2xx. */
class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * POSTs records as JSON arrays (`[record, ...]`, each in the JSONL key order) in batches of
 * `batchSize`, or fewer after `flushInterval`. A 5xx answer, 408, 429, a network error or a
 * timeout is retried with a capped exponential backoff; another 4xx drops the batch (counted).
 * The queue is bounded (`maxQueue`): a dead or slow endpoint never stalls the pipeline, and
 * what it cannot hold is dropped and counted. One batch is in flight at a time, so when the
 * endpoint recovers, the records still queued arrive once each, in order.
 *
 * @example
 * ```ts
 * import { WebhookSink } from "@stream-infer/stream-infer";
 * const sink = new WebhookSink({ url: "http://127.0.0.1:8080/results", batchSize: 10 });
 * sink.write({ source: "main", algo: "a", frame: 0, time: 0, position: 0, result: 1 });
 * await sink.close(); // delivers what is queued, for at most closeTimeout seconds
 * console.log(sink.stats());
 * ```
 */
export class WebhookSink implements Sink {
  /** `webhook URL`. */
  readonly label: string;
  readonly #queue: DeliveryQueue<string>;

  /** Checks the options; nothing is sent before the first record. */
  constructor(options: WebhookSinkOptions) {
    const url = parseHttpUrl(options.url);
    this.label = `webhook ${url.origin}${url.pathname}`;
    const headers = { ...options.headers, "content-type": "application/json" };
    const timeoutMs = seconds(options.timeout ?? 10);
    this.#queue = new DeliveryQueue<string>({
      send: async (batch, signal) => {
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: `[${batch.join(",")}]`,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        await response.body?.cancel();
        if (!response.ok) throw new HttpStatusError(response.status);
      },
      retryable: (e) =>
        !(e instanceof HttpStatusError) || e.status >= 500 || e.status === 408 ||
        e.status === 429,
      maxQueue: options.maxQueue ?? 10000,
      batchSize: options.batchSize ?? 100,
      flushInterval: seconds(options.flushInterval ?? 1),
      backoffMax: seconds(options.backoffMax ?? 5),
      closeTimeout: seconds(options.closeTimeout ?? 5),
    });
  }

  /** Queues one record; never waits. */
  write(record: AlgoRecord): void {
    this.#queue.push(recordJson(record));
  }

  /** Where failed POSTs and drops are reported. */
  watch(events: SinkEvents): void {
    this.#queue.watch(events);
  }

  /** Records delivered (2xx) and dropped, and the queue's high-water mark. */
  stats(): Omit<SinkStats, "sink" | "errors"> {
    return this.#queue.stats();
  }

  /** Delivers what is queued, for at most `closeTimeout`; the rest is dropped. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}

function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`webhook: not a URL: ${text}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(`webhook: the URL must be http:// or https:// (got ${text})`);
  }
  return url;
}
