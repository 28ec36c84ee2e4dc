/**
 * The webhook sink against real HTTP servers on 127.0.0.1: a server that fails twice and then
 * recovers gets every record once, in order; a server that never answers cannot hold the run
 * past the sink's close timeout, and what was not delivered is counted as dropped.
 */
import assert from "node:assert/strict";
import { type AlgoRecord, Dispatcher, WebhookSink } from "../mod.ts";
import { silentServer, within } from "./live_helpers.ts";

const record = (frame: number): AlgoRecord => ({
  source: "gate",
  algo: "det",
  frame,
  time: frame / 10,
  position: Math.floor(frame / 10),
  result: { n: frame },
});

Deno.test("webhook sink: 500 twice then 200: every record arrives exactly once, in order", async () => {
  const bodies: AlgoRecord[][] = [];
  const auth: (string | null)[] = [];
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      requests++;
      auth.push(req.headers.get("authorization"));
      const body = await req.json();
      if (requests <= 2) return new Response("down", { status: 500 });
      bodies.push(body);
      return new Response("ok");
    },
  );
  const lines: string[] = [];
  try {
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${server.addr.port}/hook`,
      headers: { Authorization: "Bearer t0ken" },
      batchSize: 4,
      flushInterval: 0.05,
      backoffMax: 0.1,
    });
    const dispatcher = new Dispatcher({ sinks: [sink], log: (line) => lines.push(line) });
    for (let i = 0; i < 30; i++) dispatcher.collect(record(i));
    await within(30_000, "the webhook sink to close", dispatcher.close());
    const got = bodies.flat();
    assert.deepEqual(got.map((r) => r.frame), Array.from({ length: 30 }, (_, i) => i));
    assert.deepEqual(got[3], record(3), "the record as JSON");
    assert.ok(bodies.every((b) => b.length <= 4), "batches of at most batchSize");
    assert.ok(auth.every((a) => a === "Bearer t0ken"), "the headers on every request");
    const [stats] = dispatcher.sinkStats();
    assert.equal(stats.sink, `webhook http://127.0.0.1:${server.addr.port}/hook`);
    assert.equal(stats.written, 30);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.errors, 2);
    // the first error is logged once
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /sink webhook .*HTTP 500/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("webhook sink: a server that never answers cannot hold the close past closeTimeout; drops are counted", async () => {
  const silent = silentServer();
  const lines: string[] = [];
  try {
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${silent.port}/`,
      batchSize: 5,
      flushInterval: 0,
      maxQueue: 10,
      timeout: 60,
      closeTimeout: 0.5,
    });
    const dispatcher = new Dispatcher({ sinks: [sink], log: (line) => lines.push(line) });
    // the pipeline never waits on the sink: collect returns at once for every record
    for (let i = 0; i < 100; i++) dispatcher.collect(record(i));
    const [before] = dispatcher.sinkStats();
    assert.ok(before.queueHighWater <= 10, `the queue grew to ${before.queueHighWater}`);
    // bounded by the sink's close timeout (0.5 s), not by the request timeout (60 s)
    await within(20_000, "close with an endpoint that never answers", dispatcher.close());
    const [stats] = dispatcher.sinkStats();
    assert.equal(stats.written, 0);
    assert.equal(stats.dropped, 100, JSON.stringify(stats));
    assert.ok(lines.some((l) => /dropping records/.test(l)), lines.join("\n"));
  } finally {
    await silent.close();
  }
});

Deno.test("webhook sink: a 4xx answer drops the batch (not retried) and counts it", async () => {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    await req.body?.cancel();
    return new Response("no", { status: 400 });
  });
  try {
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${server.addr.port}/`,
      batchSize: 10,
      flushInterval: 5, // a full batch goes at once
    });
    const dispatcher = new Dispatcher({ sinks: [sink], log: () => {} });
    for (let i = 0; i < 10; i++) dispatcher.collect(record(i));
    await within(20_000, "close", dispatcher.close());
    const [stats] = dispatcher.sinkStats();
    assert.equal(requests, 1);
    assert.deepEqual([stats.written, stats.dropped, stats.errors], [0, 10, 1]);
  } finally {
    await server.shutdown();
  }
});
