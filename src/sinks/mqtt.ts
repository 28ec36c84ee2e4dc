/**
 * {@link MqttSink}: each record published as JSON to an MQTT broker (MQTT.js).
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import { DeliveryQueue, PartialSendError, seconds, waitFor } from "./queue.ts";
import type { Sink, SinkEvents, SinkStats } from "./sink.ts";
import type { FromMqttWorker, ToMqttWorker } from "./mqtt_worker.ts";
import { expandTemplate, recordJson } from "./template.ts";

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
  /** Publishes in flight at once, waiting for their acknowledgements (default 500). */
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
 * through one MQTT.js client that reconnects by itself (every second). The client runs in a
 * worker of its own (src/sinks/mqtt_worker.ts): encoding and acknowledging publishes never
 * take time from the pipeline's thread, which only posts batches.
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
  readonly #worker: Worker;
  readonly #queue: DeliveryQueue<Message>;
  readonly #topic: string;
  readonly #state = new EventTarget();
  readonly #pending = new Map<number, (done: { accepted: number; error?: string }) => void>();
  #connected = false;
  #lastError?: string;
  #nextId = 0;
  #closed?: Promise<void>;

  /** Starts connecting (in the sink's worker); records are queued until the broker is there. */
  constructor(options: MqttSinkOptions) {
    const url = checkUrl(options.url);
    this.#topic = options.topic ?? "stream-infer/{source}/{algo}";
    if (this.#topic === "" || /[+#]/.test(this.#topic)) {
      throw new InputError(
        `mqtt: the topic must be a non-empty name without + or # (got '${this.#topic}')`,
      );
    }
    const qos = options.qos ?? 1;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new InputError(`mqtt: qos must be 0, 1 or 2`);
    const retain = options.retain ?? false;
    this.label = `mqtt ${url.protocol}//${url.host} ${this.#topic}`;
    this.#queue = new DeliveryQueue<Message>({
      send: (batch, signal) => this.#publish(batch, qos, retain, signal),
      maxQueue: options.maxQueue ?? 10000,
      batchSize: options.batchSize ?? 500,
      backoffInitial: 50,
      backoffMax: seconds(options.backoffMax ?? 2, "backoffMax"),
      closeTimeout: seconds(options.closeTimeout ?? 5, "closeTimeout"),
    });
    this.#worker = new Worker(new URL("./mqtt_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = ({ data }: MessageEvent<FromMqttWorker>) => this.#onMessage(data);
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#lastError = e.message;
    };
    this.#send({
      type: "connect",
      url: options.url,
      options: {
        clientId: options.clientId ?? `stream-infer-${crypto.randomUUID().slice(0, 8)}`,
        username: options.username,
        password: options.password,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
        // the sink's queue is the only one: nothing is published while disconnected
        queueQoSZero: false,
      },
    });
  }

  /** Queues one record; never waits. */
  write(record: AlgoRecord): void {
    this.#queue.push({
      topic: expandTemplate(this.#topic, record),
      payload: recordJson(record),
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
        let timer: ReturnType<typeof setTimeout> | undefined;
        const ended = new Promise<void>((resolve) => {
          this.#state.addEventListener("ended", () => resolve(), { once: true });
          timer = setTimeout(resolve, 2000); // a worker that does not answer is ended anyway
        });
        this.#send({ type: "end" });
        await ended;
        clearTimeout(timer);
        this.#worker.terminate();
        for (const done of this.#pending.values()) done({ accepted: 0, error: "closed" });
        this.#pending.clear();
      }
    })();
  }

  #send(message: ToMqttWorker): void {
    this.#worker.postMessage(message);
  }

  #onMessage(data: FromMqttWorker): void {
    switch (data.type) {
      case "state":
        this.#connected = data.connected;
        if (data.error) this.#lastError = data.error;
        else if (data.connected) this.#lastError = undefined;
        if (data.connected) this.#state.dispatchEvent(new Event("connect"));
        return;
      case "done":
        this.#pending.get(data.id)?.(data);
        this.#pending.delete(data.id);
        return;
      case "ended":
        this.#state.dispatchEvent(new Event("ended"));
    }
  }

  async #publish(batch: Message[], qos: 0 | 1 | 2, retain: boolean, signal: AbortSignal) {
    if (!this.#connected && !await waitFor(this.#events, "connect", 1000, signal)) {
      throw new Error(`not connected${this.#lastError ? ` (${this.#lastError})` : ""}`);
    }
    const id = this.#nextId++;
    let onAbort = () => {};
    const done = await new Promise<{ accepted: number; error?: string }>((resolve, reject) => {
      this.#pending.set(id, resolve);
      onAbort = () => {
        this.#pending.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#send({ type: "publish", id, messages: batch, qos, retain });
    }).finally(() => signal.removeEventListener("abort", onAbort));
    if (done.accepted < batch.length) {
      throw new PartialSendError(done.accepted, new Error(done.error ?? "not published"));
    }
  }

  /** The connection events, as {@link waitFor} listens to them. */
  readonly #events = {
    once: (event: string, listener: () => void) =>
      this.#state.addEventListener(event, listener, { once: true }),
    off: (event: string, listener: () => void) => this.#state.removeEventListener(event, listener),
  };
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
