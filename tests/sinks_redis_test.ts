/**
 * The Redis sink against a real redis-server on a free 127.0.0.1 port (started and stopped by
 * the test): `XRANGE` returns every record, in order, as JSON in the field `record`, in the
 * stream its `{source}` template names; `maxLen` trims; a restart of the server mid-run loses
 * nothing that was queued meanwhile.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { type AlgoRecord, Dispatcher, RedisSink } from "../mod.ts";
import { delay, within } from "./live_helpers.ts";
import { Peer } from "./peers.ts";

const record = (frame: number, source = "gate"): AlgoRecord => ({
  source,
  algo: "det",
  frame,
  time: frame / 10,
  position: Math.floor(frame / 10),
  result: { n: frame },
});

async function xrange(url: string, key: string): Promise<AlgoRecord[]> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const entries = await client.xrange(key, "-", "+");
    return entries.map(([, fields]) => {
      assert.equal(fields[0], "record");
      return JSON.parse(fields[1]);
    });
  } finally {
    client.disconnect();
  }
}

Deno.test("redis sink: XRANGE returns every record, per templated stream, across a restart", async () => {
  const redis = await Peer.redis();
  const sink = new RedisSink({ url: redis.url, stream: "si:{source}" });
  const dispatcher = new Dispatcher({ sinks: [sink], log: () => {} });
  try {
    for (let i = 0; i < 30; i++) {
      dispatcher.collect(record(i, i % 3 ? "gate" : "lot"));
      await delay(5);
    }
    // no persistence: a restart empties the server, so read what it holds first
    await delay(300);
    const beforeGate = await xrange(redis.url, "si:gate");
    const beforeLot = await xrange(redis.url, "si:lot");
    assert.equal(beforeGate.length + beforeLot.length, 30);
    assert.deepEqual(beforeLot.map((r) => r.frame), [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    assert.deepEqual(beforeLot[1], record(3, "lot"));
    await redis.stop();
    for (let i = 30; i < 60; i++) {
      dispatcher.collect(record(i));
      await delay(5);
    }
    await redis.start();
    await within(30_000, "the sink to close", dispatcher.close());
    const after = await xrange(redis.url, "si:gate");
    assert.deepEqual(after.map((r) => r.frame), Array.from({ length: 30 }, (_, i) => 30 + i));
    const [stats] = dispatcher.sinkStats();
    assert.equal(stats.written, 60);
    assert.equal(stats.dropped, 0);
    // the records of the outage waited in the sink's queue
    assert.ok(stats.queueHighWater >= 20, `high-water mark ${stats.queueHighWater}`);
  } finally {
    await dispatcher.abort();
    await redis.stop();
  }
});

Deno.test("redis sink: maxLen trims the stream to about that many entries", async () => {
  const redis = await Peer.redis();
  try {
    const sink = new RedisSink({ url: redis.url, stream: "trim", maxLen: 10, batchSize: 50 });
    const dispatcher = new Dispatcher({ sinks: [sink] });
    for (let i = 0; i < 1000; i++) dispatcher.collect(record(i));
    await within(30_000, "the sink to close", dispatcher.close());
    const entries = await xrange(redis.url, "trim");
    // `~` trims whole nodes: more than 10 may stay, never all 1000
    assert.ok(entries.length >= 10 && entries.length < 1000, `${entries.length} entries`);
    assert.equal(entries.at(-1)?.frame, 999);
    assert.equal(dispatcher.sinkStats()[0].written, 1000);
  } finally {
    await redis.stop();
  }
});
