/**
 * The MQTT sink against a real mosquitto broker on a free 127.0.0.1 port (started and stopped
 * by the test): a subscriber receives every record on its templated topic; the broker is
 * restarted mid-run on the same port, and the records queued meanwhile arrive, none twice.
 *
 * The subscriber keeps a persistent session (clean: false, QoS 1) and the broker saves it
 * across the restart (persistence on), so what the sink publishes before the subscriber is back
 * waits for it in the broker.
 */
import assert from "node:assert/strict";
import { connectAsync } from "mqtt";
import { type AlgoRecord, Dispatcher, MqttSink } from "../mod.ts";
import { withTempDir } from "./helpers.ts";
import { delay, waitUntil, within } from "./live_helpers.ts";
import { Peer } from "./peers.ts";

const record = (frame: number, algo = "det"): AlgoRecord => ({
  source: "gate",
  algo,
  frame,
  time: frame / 10,
  position: Math.floor(frame / 10),
  result: { n: frame },
});

/** Feeds records `from..to-1` a few ms apart, like a run. */
async function feed(dispatcher: Dispatcher, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    dispatcher.collect(record(i, i % 2 ? "det" : "motion"));
    await delay(5);
  }
}

Deno.test("mqtt sink: every record reaches a subscriber, across a broker restart, none twice", async () => {
  await withTempDir(async (dir) => {
    const broker = await Peer.mosquitto(dir, ["persistence true", `persistence_location ${dir}/`]);
    const got: { topic: string; record: AlgoRecord }[] = [];
    const subscriber = await connectAsync(broker.url, {
      clientId: "sinks-test-subscriber",
      clean: false,
      reconnectPeriod: 200,
    });
    subscriber.on("error", () => {});
    subscriber.on("message", (topic, payload) => {
      got.push({ topic, record: JSON.parse(payload.toString()) });
    });
    await subscriber.subscribeAsync("si/#", { qos: 1 });
    const lines: string[] = [];
    const sink = new MqttSink({ url: broker.url, topic: "si/{source}/{algo}", qos: 1 });
    const dispatcher = new Dispatcher({ sinks: [sink], log: (line) => lines.push(line) });
    try {
      await feed(dispatcher, 0, 40);
      await waitUntil(20_000, "the first records to arrive", () => got.length >= 40);
      await broker.stop();
      await feed(dispatcher, 40, 80); // queued by the sink while the broker is down
      await broker.start();
      await feed(dispatcher, 80, 120);
      await within(30_000, "the sink to close", dispatcher.close());
      await waitUntil(20_000, "every record to arrive", () => got.length >= 120);
      await delay(500); // a duplicate would come now
      const frames = got.map((m) => m.record.frame);
      assert.deepEqual(frames, Array.from({ length: 120 }, (_, i) => i), "order, no loss, no dup");
      assert.equal(got[7].topic, "si/gate/det");
      assert.equal(got[8].topic, "si/gate/motion");
      assert.deepEqual(got[7].record, record(7));
      const [stats] = dispatcher.sinkStats();
      assert.equal(stats.written, 120);
      assert.equal(stats.dropped, 0);
      // the records of the outage waited in the sink's queue
      assert.ok(stats.queueHighWater >= 20, `high-water mark ${stats.queueHighWater}`);
    } finally {
      await dispatcher.abort();
      await subscriber.endAsync(true);
      await broker.stop();
    }
  });
});

Deno.test("mqtt sink: with the broker gone, the queue stays bounded and close drops the rest", async () => {
  await withTempDir(async (dir) => {
    const broker = await Peer.mosquitto(dir);
    const url = broker.url;
    await broker.stop();
    const sink = new MqttSink({ url, maxQueue: 5, closeTimeout: 0.3 });
    const dispatcher = new Dispatcher({ sinks: [sink], log: () => {} });
    for (let i = 0; i < 50; i++) dispatcher.collect(record(i));
    await within(20_000, "close with no broker", dispatcher.close());
    const [stats] = dispatcher.sinkStats();
    assert.equal(stats.written, 0);
    assert.equal(stats.dropped, 50);
    assert.ok(stats.queueHighWater <= 5);
  });
});
