/**
 * Sink isolation in a real run (Inference + Player on ffmpeg, an inline algorithm):
 * a sink that throws on every write, a webhook to a closed port with a tiny queue and a webhook
 * to a server that never answers neither
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
import { freeTcpPort, readRecords, silentServer, within } from "./live_helpers.ts";

Deno.test("sink isolation: a throwing sink, a dead and a silent webhook stop neither the JSONL sink nor the run", async () => {
  const silent = silentServer();
  try {
    await isolationRun(silent.port);
  } finally {
    await silent.close();
  }
});

async function isolationRun(silentPort: number): Promise<void> {
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
    // the run's end waits for it at most closeTimeout (0.5 s), not for its request timeout (60 s)
    const silent = new WebhookSink({
      url: `http://127.0.0.1:${silentPort}/`,
      timeout: 60,
      closeTimeout: 0.5,
    });
    const lines: string[] = [];
    const dispatcher = new Dispatcher({
      sinks: [throwing, dead, silent, await JsonlSink.open(out)],
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
    const [throwingStats, deadStats, silentStats, jsonlStats] = dispatcher.sinkStats();
    assert.deepEqual([throwingStats.written, throwingStats.errors], [0, records.length]);
    assert.equal(deadStats.written, 0);
    assert.equal(deadStats.dropped, records.length);
    assert.ok(deadStats.errors >= 1);
    assert.ok(deadStats.queueHighWater <= 2);
    // the silent endpoint held the first batch until the close timeout: all dropped, counted
    assert.deepEqual([silentStats.written, silentStats.dropped], [0, records.length]);
    assert.deepEqual([jsonlStats.written, jsonlStats.errors], [records.length, 0]);
    // one error line per failing sink, not one per record
    assert.equal(lines.filter((l) => l.includes("throwing")).length, 1, lines.join("\n"));
    assert.equal(lines.filter((l) => /sink webhook .*other sinks go on/.test(l)).length, 2);
  });
}
