/**
 * Sink isolation in a real run (Inference + Player on ffmpeg, an inline algorithm):
 * a sink that throws on every write and a webhook to a closed port with a tiny queue neither
 * stop the JSONL sink nor the run; their errors and drops are counted in sinkStats().
 */
import assert from "node:assert/strict";
import {
  type AlgoRecord,
  BaseAlgo,
  Dispatcher,
  FFmpegProducer,
  type Frame,
  Inference,
  JsonlSink,
  Player,
  type Sink,
  WebhookSink,
} from "../mod.ts";
import { makeTestsrc, withTempDir } from "./helpers.ts";
import { freeTcpPort, readRecords, within } from "./live_helpers.ts";

Deno.test("sink isolation: a throwing sink and a dead webhook stop neither the JSONL sink nor the run", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 2 });
    const out = `${dir}/out.jsonl`;
    const throwing: Sink = {
      label: "throwing",
      write(_: AlgoRecord) {
        throw new Error("disk on fire");
      },
      close() {},
    };
    const dead = new WebhookSink({
      url: `http://127.0.0.1:${freeTcpPort()}/`, // nothing listens here
      maxQueue: 2,
      closeTimeout: 0.3,
      backoffMax: 0.05,
    });
    const lines: string[] = [];
    const dispatcher = new Dispatcher({
      sinks: [throwing, dead, await JsonlSink.open(out)],
      log: (line) => lines.push(line),
    });
    class Size extends BaseAlgo<unknown, number> {
      run(frames: Frame[]) {
        return frames[0].width;
      }
    }
    const inference = new Inference(dispatcher);
    try {
      await inference.loadAlgo(new Size(), {
        name: "motion",
        frameCount: 1,
        frameStep: 0,
        interval: 0.1,
      });
      const player = new Player(new FFmpegProducer({ width: 64, height: 48 }), clip);
      const summary = await within(
        120_000,
        "the run",
        inference.start(player, { mode: "offline" }),
      );
      assert.equal(summary.sources.main.state, "ended");
    } finally {
      await inference.dispose();
    }
    const records = dispatcher.getResults("motion");
    assert.ok(records.length >= 15, `${records.length} records`);
    assert.deepEqual(await readRecords(out), JSON.parse(JSON.stringify(records)));
    const stats = Object.fromEntries(dispatcher.sinkStats().map((s) => [s.sink.split(" ")[0], s]));
    assert.equal(stats.throwing.errors, records.length);
    assert.equal(stats.throwing.written, 0);
    assert.equal(stats.webhook.written, 0);
    assert.equal(stats.webhook.dropped, records.length);
    assert.ok(stats.webhook.errors >= 1);
    assert.ok(stats.webhook.queueHighWater <= 2);
    assert.deepEqual([stats.jsonl.written, stats.jsonl.errors], [records.length, 0]);
    // one line per failing sink (and the webhook's first drop), not one per record
    assert.equal(lines.filter((l) => l.includes("throwing")).length, 1, lines.join("\n"));
    assert.equal(lines.filter((l) => /sink webhook .*other sinks go on/.test(l)).length, 1);
  });
});
