import assert from "node:assert/strict";
import { z } from "zod";
import { JsonlSink } from "./jsonl.ts";
import { openSinks, sinkSchemas } from "./config.ts";
import { StdoutSink } from "./stdout.ts";

const schema = sinkSchemas(z.string().transform((p) => `/base/${p}`));

function firstError(value: unknown): string {
  const result = schema.safeParse(value);
  assert.ok(!result.success, "expected a schema error");
  const issue = result.error.issues[0];
  return `${issue.path.join(".")}: ${issue.message}`;
}

Deno.test("sink schema: every type parses, paths go through the path schema", () => {
  const sinks = schema.parse([
    { type: "jsonl", path: "out.jsonl", append: true, rotate: { maxBytes: 1000 } },
    { type: "webhook", url: "https://h/x", headers: { Authorization: "Bearer t" }, batchSize: 5 },
    { type: "mqtt", url: "mqtt://127.0.0.1:1883", topic: "si/{source}/{algo}", qos: 1 },
    { type: "redis", url: "redis://127.0.0.1:6379", stream: "si:{source}", maxLen: 1000 },
    { type: "stdout", format: "jsonl" },
  ]);
  assert.deepEqual(sinks.map((s) => s.type), ["jsonl", "webhook", "mqtt", "redis", "stdout"]);
  assert.equal(sinks[0].type === "jsonl" && sinks[0].path, "/base/out.jsonl");
});

Deno.test("sink schema: errors name the key", () => {
  assert.match(
    firstError([{ type: "kafka" }]),
    /^0.type: must be jsonl, webhook, mqtt, redis or stdout$/,
  );
  assert.match(
    firstError([{ type: "jsonl", path: "a", colour: 1 }]),
    /unknown key 'colour' of a jsonl sink/,
  );
  assert.match(
    firstError([{ type: "jsonl", path: "a", overwrite: true, append: true }]),
    /exclude/,
  );
  assert.match(
    firstError([{ type: "mqtt", url: "http://x" }]),
    /^0\.url: must be a URL like mqtt:/,
  );
  assert.match(firstError([{ type: "mqtt", url: "mqtt://x", qos: 3 }]), /^0\.qos/);
  assert.match(firstError([{ type: "mqtt", url: "mqtt://x", topic: "a/#" }]), /^0\.topic/);
  assert.match(firstError([{ type: "redis", url: "redis://x", maxLen: 0 }]), /^0\.maxLen/);
  assert.match(
    firstError([{ type: "webhook", url: "https://x", batchSize: 1.5 }]),
    /^0\.batchSize/,
  );
  assert.match(firstError([{ type: "stdout", format: "xml" }]), /^0\.format/);
});

Deno.test("openSinks: file sinks open first; a bad one closes what was opened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sinks-config-test-" });
  try {
    const sinks = await openSinks([
      { type: "stdout" },
      { type: "jsonl", path: `${dir}/a.jsonl` },
    ]);
    assert.ok(sinks[0] instanceof StdoutSink);
    assert.ok(sinks[1] instanceof JsonlSink);
    for (const sink of sinks) await sink.close();
    await assert.rejects(
      openSinks([
        { type: "jsonl", path: `${dir}/b.jsonl` },
        { type: "jsonl", path: `${dir}/a.jsonl` }, // exists
      ]),
      /a\.jsonl: the file exists/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
