/**
 * The `sinks:` entries of a pipeline config: their zod schema ({@link sinkSchemas}, one entry
 * per `type`) and {@link openSinks}, which turns validated entries into open sinks.
 *
 * @module
 */
import { z } from "zod";
import { JsonlSink, type JsonlSinkOptions } from "./jsonl.ts";
import { MqttSink, type MqttSinkOptions } from "./mqtt.ts";
import { RedisSink, type RedisSinkOptions } from "./redis.ts";
import type { Sink } from "./sink.ts";
import { StdoutSink, type StdoutSinkOptions } from "./stdout.ts";
import { WebhookSink, type WebhookSinkOptions } from "./webhook.ts";

/** A schema taking a path as written and giving it resolved (the config's one path rule). */
export type SinkPathSchema = z.ZodType<string, string>;

/** A strict object whose unknown-key error names the sink type and its allowed keys. */
function entry<T extends z.core.$ZodLooseShape>(type: string, shape: T) {
  const allowed = Object.keys(shape).filter((k) => k !== "type").join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key '${issue.keys[0]}' of a ${type} sink (allowed: ${allowed})`
        : undefined,
  });
}

const count = z.int().min(1);
const seconds = z.number().min(0);
/** The keys every queueing sink shares (see `DeliveryQueue`). */
const queueKeys = {
  maxQueue: count.optional(),
  batchSize: count.optional(),
  backoffMax: seconds.optional(),
  closeTimeout: seconds.optional(),
};

function url(protocols: string[], example: string) {
  return z.string().refine((text) => {
    try {
      return protocols.includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, { error: `must be a URL like ${example}` });
}

/**
 * The schema of the `sinks:` list: each entry is discriminated by `type` (`jsonl`, `webhook`,
 * `mqtt`, `redis`, `stdout`); `path` is the config's path schema (a relative JSONL path
 * resolves against the config file). The keys are those of each sink's options
 * (`JsonlSinkOptions`, `WebhookSinkOptions`, `MqttSinkOptions`, `RedisSinkOptions`,
 * `StdoutSinkOptions`); times are in seconds. A `stdout` entry writes text lines unless
 * `format: jsonl`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { sinkSchemas } from "./config.ts";
 * const schema = sinkSchemas(z.string());
 * const sinks = schema.parse([{ type: "mqtt", url: "mqtt://127.0.0.1:1883", topic: "si/{source}" }]);
 * console.log(sinks[0].type); // "mqtt"
 * ```
 */
export function sinkSchemas(path: SinkPathSchema): z.ZodType<SinkEntry[], unknown> {
  const jsonl = entry("jsonl", {
    type: z.literal("jsonl"),
    path,
    overwrite: z.boolean().optional(),
    append: z.boolean().optional(),
    rotate: entry("jsonl rotate", { maxBytes: count }).optional(),
  }).refine((s) => !(s.overwrite && s.append), {
    error: "'overwrite' and 'append' exclude each other",
  });
  const webhook = entry("webhook", {
    type: z.literal("webhook"),
    url: url(["http:", "https:"], "https://host/path"),
    headers: z.record(z.string(), z.string()).optional(),
    flushInterval: seconds.optional(),
    timeout: seconds.optional(),
    ...queueKeys,
  });
  const mqtt = entry("mqtt", {
    type: z.literal("mqtt"),
    url: url(["mqtt:", "mqtts:", "ws:", "wss:"], "mqtt://host:1883"),
    topic: z.string().min(1).regex(/^[^+#]*$/, "no + or # in a topic to publish to").optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    retain: z.boolean().optional(),
    clientId: z.string().min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    ...queueKeys,
  });
  const redis = entry("redis", {
    type: z.literal("redis"),
    url: url(["redis:", "rediss:"], "redis://host:6379"),
    stream: z.string().min(1).optional(),
    maxLen: count.optional(),
    ...queueKeys,
  });
  const stdout = entry("stdout", {
    type: z.literal("stdout"),
    format: z.enum(["text", "jsonl"]).optional(),
  });
  return z.array(
    z.discriminatedUnion("type", [jsonl, webhook, mqtt, redis, stdout], {
      error: (issue) =>
        issue.code === "invalid_union"
          ? "must be jsonl, webhook, mqtt, redis or stdout"
          : undefined,
    }),
  );
}

/**
 * One validated `sinks:` entry: its `type` and the options of that sink (times in seconds).
 *
 * @example
 * ```ts
 * import type { SinkEntry } from "@stream-infer/stream-infer";
 * const e: SinkEntry = { type: "redis", url: "redis://127.0.0.1:6379", stream: "si:{source}" };
 * ```
 */
export type SinkEntry =
  | ({ type: "jsonl"; path: string } & JsonlSinkOptions)
  | ({ type: "webhook" } & WebhookSinkOptions)
  | ({ type: "mqtt" } & MqttSinkOptions)
  | ({ type: "redis" } & RedisSinkOptions)
  | ({ type: "stdout" } & StdoutSinkOptions);

/**
 * Opens the sinks of validated entries. File sinks open first: a JSONL path that cannot be
 * written (or exists without `overwrite`/`append`, or is locked by another run) throws its
 * one-line `InputError` before any network sink connects; on any error, what was opened is
 * closed again. Network sinks start connecting at once and queue records until their peer is
 * there.
 *
 * @example
 * ```ts
 * import { Dispatcher, openSinks } from "@stream-infer/stream-infer";
 * const sinks = await openSinks([{ type: "jsonl", path: "out.jsonl", overwrite: true }, { type: "stdout" }]);
 * const dispatcher = new Dispatcher({ sinks });
 * await dispatcher.close();
 * ```
 */
export async function openSinks(entries: readonly SinkEntry[]): Promise<Sink[]> {
  const opened: Sink[] = [];
  const order = [...entries.entries()].sort(([, a], [, b]) =>
    Number(b.type === "jsonl") - Number(a.type === "jsonl")
  );
  const byIndex = new Map<number, Sink>();
  try {
    for (const [i, e] of order) {
      const sink = await openSink(e);
      opened.push(sink);
      byIndex.set(i, sink);
    }
  } catch (e) {
    for (const sink of opened) await (sink.abort ? sink.abort() : sink.close());
    throw e;
  }
  return entries.map((_, i) => byIndex.get(i)!);
}

async function openSink(e: SinkEntry): Promise<Sink> {
  switch (e.type) {
    case "jsonl": {
      const { type: _, path, ...options } = e;
      return await JsonlSink.open(path, options);
    }
    case "webhook": {
      const { type: _, ...options } = e;
      return new WebhookSink(options);
    }
    case "mqtt": {
      const { type: _, ...options } = e;
      return new MqttSink(options);
    }
    case "redis": {
      const { type: _, ...options } = e;
      return new RedisSink(options);
    }
    case "stdout":
      return new StdoutSink({ format: e.format ?? "text" });
  }
}
