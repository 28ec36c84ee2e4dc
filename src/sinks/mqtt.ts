/**
 * {@link MqttSink}: each record published as JSON to an MQTT broker (MQTT.js).
 *
 * @module
 */
import type { MqttClient } from "mqtt";
import { InputError } from "../errors.ts";
import { type AlgoRecord, recordLine } from "../record.ts";
import { DeliveryQueue, PartialSendError, seconds, waitFor } from "./queue.ts";
import type { Sink, SinkEvents, SinkStats } from "./sink.ts";
import { expandTemplate } from "./template.ts";

/**
 * Options of {@link MqttSink}. Times are in seconds.
 *
 * @example
 * ```ts
 * import type { MqttSinkOptions } from "@stream-infer/stream-infer";
 * const opts: MqttSinkOptions = { url: "mqtt://127.0.0.1:1883", topic: "si/{source}/{algo}", qos: 1 };
 * ```
 */
export interface MqttSinkOptions {
  /** `mqtt://host:port` (or `mqtts://`, `ws://`, `wss://`). */
  url: string;
  /** Topic of each record; `{source}` and `{algo}` are replaced (default `stream-infer/{source}/{algo}`). */
  topic?: string;
  /** 0, 1 (default) or 2. */
  qos?: 0 | 1 | 2;
  /** Publish with the retain flag (default false). */
  retain?: boolean;
  /** The client id (default: `stream-infer-` and random hex). */
  clientId?: string;
  /** User name, if the broker asks for one. */
  username?: string;
  /** Password, if the broker asks for one. */
  password?: string;
  /** Records held while the broker is down; the oldest go first (default 10000). */
  maxQueue?: number;
  /** Publishes in flight at once, waiting for their acknowledgements (default 100). */
  batchSize?: number;
  /** Longest wait between retries while the broker is down (default 2). */
  backoffMax?: number;
  /** How long `close` keeps delivering what is queued before dropping it (default 5). */
  closeTimeout?: number;
}

/** One record on its way: its topic and JSON. */
interface Message {
  topic: string;
  payload: string;
}

/**
 * Publishes each record as JSON (the JSONL key order) to `topic`, with `qos` and `retain`,
 * through one MQTT.js client that reconnects by itself (every second).
 *
 * One queue holds records: the sink's bounded {@link DeliveryQueue}. Records are handed to
 * MQTT.js only while it is connected, at most `batchSize` at a time, and the next batch waits
 * for their acknowledgements (QoS 1 and 2). MQTT.js keeps only that batch: if the connection
 * drops before the broker acknowledged it, MQTT.js sends it again after reconnecting (the
 * sink never does), so a broker restart neither loses nor duplicates the queued records. A
 * record the broker took in but whose acknowledgement was lost in the restart may still arrive
 * twice, as QoS 1 allows; QoS 2 rules that out.
 *
 * @example
 * ```ts
 * import { MqttSink } from "@stream-infer/stream-infer";
 * const sink = new MqttSink({ url: "mqtt://127.0.0.1:1883", topic: "si/{source}/{algo}" });
 * sink.write({ source: "gate", algo: "det", frame: 0, time: 0, position: 0, result: [] });
 * await sink.close(); // publishes what is queued (for at most closeTimeout), then disconnects
 * ```
 */
export class MqttSink implements Sink {
  /** `mqtt URL TOPIC`. */
  readonly label: string;
  /** The client, once MQTT.js is loaded (lazily: a plugin importing mod.ts never loads it). */
  readonly #client: Promise<MqttClient>;
  readonly #queue: DeliveryQueue<Message>;
  readonly #topic: string;
  #lastError?: Error;
  #closed?: Promise<void>;

  /** Starts connecting; records are queued until the broker is there. */
  constructor(options: MqttSinkOptions) {
    const url = checkUrl(options.url);
    this.#topic = options.topic ?? "stream-infer/{source}/{algo}";
    if (this.#topic === "" || /[+#]/.test(this.#topic)) {
      throw new InputError(`mqtt: the topic must be a non-empty name without + or # (got '${this.#topic}')`);
    }
    const qos = options.qos ?? 1;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new InputError(`mqtt: qos must be 0, 1 or 2`);
    const retain = options.retain ?? false;
    this.label = `mqtt ${url.protocol}//${url.host} ${this.#topic}`;
    this.#client = import("mqtt").then(({ connect }) => {
      const client = connect(options.url, {
        clientId: options.clientId ?? `stream-infer-${crypto.randomUUID().slice(0, 8)}`,
        username: options.username,
        password: options.password,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
        // the sink's queue is the only one: nothing is published while disconnected
        queueQoSZero: false,
      });
      client.on("error", (e) => this.#lastError = e);
      client.on("connect", () => this.#lastError = undefined);
      return client;
    });
    this.#client.catch(() => {}); // reported by the first send
    this.#queue = new DeliveryQueue<Message>({
      send: (batch, signal) => this.#publish(batch, qos, retain, signal),
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
      topic: expandTemplate(this.#topic, record),
      payload: recordLine(record).slice(0, -1),
    });
  }

  /** Where failed publishes and drops are reported. */
  watch(events: SinkEvents): void {
    this.#queue.watch(events);
  }

  /** Records acknowledged (QoS 0: written to the socket) and dropped; the queue's high-water mark. */
  stats(): Omit<SinkStats, "sink" | "errors"> {
    return this.#queue.stats();
  }

  /** Publishes what is queued (for at most `closeTimeout`), then disconnects. */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      try {
        await this.#queue.close();
      } finally {
        const client = await this.#client.catch(() => undefined);
        await client?.endAsync(!client.connected);
      }
    })();
  }

  async #publish(batch: Message[], qos: 0 | 1 | 2, retain: boolean, signal: AbortSignal) {
    const client = await this.#client;
    if (!client.connected && !await waitFor(client, "connect", 1000, signal)) {
      const why = this.#lastError ? ` (${this.#lastError.message})` : "";
      throw new Error(`not connected${why}`);
    }
    let aborted: () => void = () => {};
    const abort = new Promise<never>((_, reject) => {
      aborted = () => reject(signal.reason);
      signal.addEventListener("abort", aborted);
    });
    const sent = batch.map(({ topic, payload }) =>
      client.publishAsync(topic, payload, { qos, retain }).then(() => true)
    );
    try {
      const results = await Promise.race([Promise.allSettled(sent), abort]);
      const accepted = results.findIndex((r) => r.status === "rejected");
      if (accepted >= 0) {
        throw new PartialSendError(accepted, (results[accepted] as PromiseRejectedResult).reason);
      }
    } finally {
      signal.removeEventListener("abort", aborted);
      abort.catch(() => {});
    }
  }
}

function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`mqtt: not a URL: ${text}`);
  }
  if (!["mqtt:", "mqtts:", "ws:", "wss:"].includes(url.protocol)) {
    throw new InputError(`mqtt: the URL must be mqtt://host:port (got ${text})`);
  }
  return url;
}
