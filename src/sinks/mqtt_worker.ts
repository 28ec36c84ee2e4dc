/**
 * The worker side of {@link MqttSink}: one MQTT.js client on its own thread, so that encoding
 * and acknowledging 10,000 publishes a second costs the pipeline's thread nothing but a
 * `postMessage` per batch. It keeps no queue of its own: it publishes the batches it is given
 * (MQTT.js resends a batch's unacknowledged QoS 1/2 publishes after a reconnect) and answers
 * how many of each batch went through.
 *
 * Messages in: {@link ToMqttWorker}; out: {@link FromMqttWorker}.
 *
 * @module
 */
import type { IClientOptions, MqttClient } from "mqtt";

/** What the sink sends to its worker. */
export type ToMqttWorker =
  | { type: "connect"; url: string; options: IClientOptions }
  | {
    type: "publish";
    id: number;
    messages: { topic: string; payload: string }[];
    qos: 0 | 1 | 2;
    retain: boolean;
  }
  | { type: "end" };

/** What the worker answers. */
export type FromMqttWorker =
  | { type: "state"; connected: boolean; error?: string }
  | { type: "done"; id: number; accepted: number; error?: string }
  | { type: "ended" };

/** The worker's global scope, as far as it is used here. */
interface Scope {
  onmessage: ((event: MessageEvent<ToMqttWorker>) => void) | null;
  postMessage(message: FromMqttWorker): void;
}

/** Runs the worker side on `scope` (the worker's `self`). */
export function serveMqttWorker(scope: Scope): void {
  let client: MqttClient | undefined;
  const post = (message: FromMqttWorker) => scope.postMessage(message);
  scope.onmessage = async ({ data }) => {
    switch (data.type) {
      case "connect": {
        try {
          const { connect } = await import("mqtt");
          client = connect(data.url, data.options);
        } catch (e) {
          post({ type: "state", connected: false, error: message(e) });
          return;
        }
        client.on("connect", () => post({ type: "state", connected: true }));
        client.on("close", () => post({ type: "state", connected: false }));
        const c = client;
        c.on("error", (e) => post({ type: "state", connected: c.connected, error: message(e) }));
        return;
      }
      case "publish": {
        if (!client?.connected) {
          post({ type: "done", id: data.id, accepted: 0, error: "not connected" });
          return;
        }
        const c = client;
        const results = await Promise.allSettled(
          data.messages.map(({ topic, payload }) =>
            c.publishAsync(topic, payload, { qos: data.qos, retain: data.retain })
          ),
        );
        const failed = results.findIndex((r) => r.status === "rejected");
        post({
          type: "done",
          id: data.id,
          accepted: failed < 0 ? results.length : failed,
          error: failed < 0
            ? undefined
            : message((results[failed] as PromiseRejectedResult).reason),
        });
        return;
      }
      case "end":
        await client?.endAsync(!client.connected).catch(() => {});
        post({ type: "ended" });
    }
  };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// deno-lint-ignore no-explicit-any
if (typeof (globalThis as any).WorkerGlobalScope !== "undefined") {
  serveMqttWorker(globalThis as unknown as Scope);
}
