/**
 * Live sources over loopback (docs/contract.md §4.4, §6): an ffmpeg child serves a generated stream
 * over HTTP (`-listen 1`), UDP (MPEG-TS datagrams) or RTMP (`-listen 1`: the sender listens,
 * our reader connects). The player reads it without a separate probe (a single-client server
 * would be used up by one): size and fps come from the reading ffmpeg's banner.
 *
 * Then the server is killed mid-run: the player reports the end or the stall, reconnects with
 * backoff once the server is back (indices keep counting), and gives up cleanly when it does
 * not come back.
 */
import assert from "node:assert/strict";
import { BaseAlgo } from "../src/algo/algo.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import type { Frame } from "../src/frame.ts";
import { Inference, type RunSummary } from "../src/run/inference.ts";
import { Player, type PlayerEvent, type ReconnectOptions } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { JsonlSink } from "../src/sinks/jsonl.ts";
import { withTempDir } from "./helpers.ts";
import {
  assertNoFfmpegLeft,
  delay,
  FfmpegServer,
  liveEndpoint,
  type LiveKind,
  readRecords,
  waitListening,
  within,
} from "./live_helpers.ts";

const KINDS: LiveKind[] = ["http", "udp", "rtmp"];

/** Reports the size and mean level of the frame it got. */
class Probe extends BaseAlgo<unknown, { width: number; height: number; mean: number }> {
  override readonly name = "probe";
  run([frame]: Frame[]) {
    let sum = 0;
    for (let i = 0; i < frame.data.length; i += 97) sum += frame.data[i];
    return {
      width: frame.width,
      height: frame.height,
      mean: sum / Math.ceil(frame.data.length / 97),
    };
  }
}

interface Seen {
  index: number;
  time: number;
  /** How many events had been reported when this frame arrived. */
  events: number;
}

function livePlayer(url: string, events: PlayerEvent[], reconnect?: ReconnectOptions): Player {
  return new Player(new FFmpegProducer(), url, {
    reconnect,
    onEvent: (event) => events.push(event),
  });
}

function assertIncreasing(seen: Seen[]): void {
  for (let i = 1; i < seen.length; i++) {
    assert.ok(
      seen[i].index > seen[i - 1].index,
      `index ${seen[i].index} after ${seen[i - 1].index}`,
    );
    assert.ok(seen[i].time > seen[i - 1].time, `time ${seen[i].time} after ${seen[i - 1].time}`);
  }
}

for (const kind of KINDS) {
  Deno.test(`live ${kind}: the realtime pipeline reads a loopback stream, info from the banner`, async () => {
    const endpoint = await liveEndpoint(kind);
    const events: PlayerEvent[] = [];
    const seen: Seen[] = [];
    const server = FfmpegServer.start(endpoint);
    const inference = new Inference(new Dispatcher(), {
      process: ({ frame }) => {
        seen.push({ index: frame.index, time: frame.time, events: events.length });
        if (seen.length === 40) inference.stop();
      },
    });
    let run: Promise<RunSummary | void> = Promise.resolve();
    try {
      await inference.loadAlgo(new Probe(), { frameCount: 1, frameStep: 0, interval: 0.2 });
      await waitListening(endpoint);
      const player = livePlayer(endpoint.url, events);
      // network sources are not probed separately
      assert.equal(await player.open(), null);
      run = inference.start(player, { mode: "realtime" });
      const summary = (await within(30_000, `reading ${endpoint.url}`, run))!;

      assert.equal(summary.stopped, true);
      assert.ok(seen.length >= 40);
      assert.deepEqual(
        player.info,
        { width: 160, height: 120, fps: 25, frameCount: null, duration: null, live: true },
        "the info read from ffmpeg's banner",
      );
      assert.equal(player.fps, 25);
      // a live stream is read as it arrives: nothing is dropped to pace it, indices are 0..n-1
      assert.deepEqual(seen.map((s) => s.index), [...Array(seen.length).keys()]);
      assertIncreasing(seen);
      const metrics = inference.metrics();
      assert.equal(metrics.player.framesDropped, 0, "frames of a live stream were dropped");
      assert.equal(metrics.player.framesRead, seen.length);
      assert.equal(metrics.player.reconnects, 0);
      assert.deepEqual(events, []);

      const results = inference.dispatcher.getResults("probe");
      assert.ok(results.length > 0, "no results from the live stream");
      for (const r of results) {
        const { width, height, mean } = r.result as { width: number; height: number; mean: number };
        assert.deepEqual([width, height], [160, 120]);
        assert.ok(mean > 0, "testsrc2 is not black");
      }
      assert.notEqual(metrics.algos.probe.lagMs.p50, null);
    } finally {
      inference.stop();
      await run.catch(() => {});
      await inference.dispose();
      await server.stop();
    }
    await assertNoFfmpegLeft(endpoint.url);
  });
}

for (const kind of KINDS) {
  Deno.test(`live ${kind}: the server dies mid-run; the player reconnects when it is back`, async () => {
    const endpoint = await liveEndpoint(kind);
    const events: PlayerEvent[] = [];
    const seen: Seen[] = [];
    // UDP has no end of stream: the player only notices the stall, so stay away longer than
    // the stall timeout; HTTP and RTMP end at once, and the first attempts are refused.
    const away = kind === "udp" ? 3000 : 700;
    const player = livePlayer(endpoint.url, events, {
      attempts: 8,
      initialDelay: 0.2,
      maxDelay: 1,
      stallTimeout: 2,
    });
    const abort = new AbortController();
    let server = FfmpegServer.start(endpoint);
    let outage: Promise<void> | undefined;
    let eventsBefore = -1;
    let run: Promise<void> = Promise.resolve();
    try {
      await waitListening(endpoint);
      run = (async () => {
        let reconnectedAt = -1;
        for await (const frame of player.play({ realtime: true, signal: abort.signal })) {
          seen.push({ index: frame.index, time: frame.time, events: events.length });
          if (seen.length === 25) {
            eventsBefore = events.length;
            outage = (async () => {
              await server.stop();
              await delay(away);
              server = FfmpegServer.start(endpoint);
            })();
          }
          const sinceOutage = eventsBefore < 0 ? [] : events.slice(eventsBefore);
          if (reconnectedAt < 0 && sinceOutage.some((e) => e.type === "reconnect")) {
            reconnectedAt = seen.length - 1;
          }
          if (reconnectedAt >= 0 && seen.length - reconnectedAt >= 25) break;
        }
      })();
      await within(30_000, `reconnecting to ${endpoint.url}`, run);

      // (a slow start may already have stalled once: look at what the outage caused)
      assert.ok(eventsBefore >= 0, "the outage never began");
      const types = events.slice(eventsBefore).map((e) => e.type);
      const lost = kind === "udp" ? "stall" : "ended";
      assert.ok(types.includes(lost), `no '${lost}' event: ${JSON.stringify(events)}`);
      assert.ok(types.indexOf("reconnect") > types.indexOf(lost), `events: ${types}`);
      assert.ok(!types.includes("gave-up"), `gave up: ${JSON.stringify(events)}`);
      assert.equal(player.sourceLost, false);
      for (const e of events) assert.ok(e.message.includes(endpoint.url), e.message);

      // frames continue after the reconnect, with indices and times still increasing
      const first = seen.findIndex((s) => s.events > eventsBefore);
      assert.ok(first >= 25, `frames before the outage; events: ${JSON.stringify(events)}`);
      assert.ok(seen.length - first >= 25, `${seen.length - first} frames after the reconnect`);
      assertIncreasing(seen);
      assert.equal(seen[first].index, seen[first - 1].index + 1, "indices continue");

      const metrics = player.metrics();
      assert.ok(metrics.reconnects >= 1);
      assert.equal(metrics.reconnects, events.filter((e) => e.type === "reconnect").length);
      if (kind === "udp") assert.ok(metrics.stalls >= 1);
    } finally {
      abort.abort();
      await run.catch(() => {});
      await outage?.catch(() => {});
      await server.stop();
    }
    await assertNoFfmpegLeft(endpoint.url);
  });
}

for (const kind of KINDS) {
  Deno.test(`live ${kind}: the server does not come back; the run ends cleanly, source lost`, async () => {
    await withTempDir(async (dir) => {
      const endpoint = await liveEndpoint(kind);
      const events: PlayerEvent[] = [];
      let frames = 0;
      let eventsBefore = -1;
      const server = FfmpegServer.start(endpoint);
      let outage: Promise<void> | undefined;
      const dispatcher = new Dispatcher();
      dispatcher.addSink(await JsonlSink.open(`${dir}/out.jsonl`));
      const inference = new Inference(dispatcher, {
        process: () => {
          if (++frames === 20) {
            eventsBefore = events.length;
            outage = server.stop();
          }
        },
      });
      let run: Promise<RunSummary | void> = Promise.resolve();
      try {
        await inference.loadAlgo(new Probe(), { frameCount: 1, frameStep: 0, interval: 0.2 });
        await waitListening(endpoint);
        const player = livePlayer(endpoint.url, events, {
          attempts: 2,
          initialDelay: 0.2,
          stallTimeout: 2,
        });
        run = inference.start(player, { mode: "realtime" });
        const summary = (await within(30_000, `giving up on ${endpoint.url}`, run))!;

        assert.equal(player.sourceLost, true);
        assert.equal(summary.stopped, false);
        assert.ok(
          frames >= 20,
          `frames ${frames} ${JSON.stringify(summary.sources)} ${JSON.stringify(events)}`,
        );
        // (a slow start may already have stalled once: look at what the outage caused)
        assert.ok(eventsBefore >= 0, "the outage never began");
        const types = events.slice(eventsBefore).map((e) => e.type);
        // each session ends (UDP: stalls, having no end of stream), then the next attempt
        const lost = kind === "udp" ? "stall" : "ended";
        assert.deepEqual(
          types,
          [lost, "reconnect", lost, "reconnect", lost, "gave-up"],
          JSON.stringify(events),
        );
        assert.match(events.at(-1)!.message, /gave up after 2 reconnect attempts/);
        const metrics = inference.metrics().player;
        const count = (type: string) => events.filter((e) => e.type === type).length;
        assert.equal(metrics.reconnects, count("reconnect"));
        assert.equal(metrics.stalls, count("stall"));

        // the sinks were closed normally: the output is complete
        assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.jsonl"]);
        const records = await readRecords(`${dir}/out.jsonl`);
        assert.equal(records.length, dispatcher.getResults("probe").length);
        assert.ok(records.length > 0);
      } finally {
        inference.stop();
        await run.catch(() => {});
        await dispatcher.abort(); // closes the sink if start() never ran
        await inference.dispose();
        await outage?.catch(() => {});
        await server.stop();
      }
      await assertNoFfmpegLeft(endpoint.url, 0);
    });
  });
}

for (const kind of ["http", "udp"] as const) {
  Deno.test(`live ${kind}: a start position is ignored with a warning (docs/contract.md §3.5)`, async () => {
    const endpoint = await liveEndpoint(kind);
    const events: PlayerEvent[] = [];
    const seen: Seen[] = [];
    const server = FfmpegServer.start(endpoint);
    const abort = new AbortController();
    let run: Promise<void> = Promise.resolve();
    try {
      await waitListening(endpoint);
      const player = livePlayer(endpoint.url, events);
      run = (async () => {
        const play = player.play({ realtime: true, position: 2, signal: abort.signal });
        for await (const frame of play) {
          seen.push({ index: frame.index, time: frame.time, events: events.length });
          if (seen.length === 10) break;
        }
      })();
      await within(30_000, `reading ${endpoint.url}`, run);
      assert.deepEqual(
        events.map((e) => e.type),
        ["warning"],
        `events: ${JSON.stringify(events)}`,
      );
      assert.match(events[0].message, /position ignored/);
      // play starts where the stream is, not 2 s into it
      assert.equal(seen[0].index, 0);
      assert.equal(seen[0].time, 0, `the first frame's time is ${seen[0].time}`);
      assert.equal(player.position, 0);
    } finally {
      abort.abort();
      await run.catch(() => {});
      await server.stop();
    }
    await assertNoFfmpegLeft(endpoint.url);
  });
}
