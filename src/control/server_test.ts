import assert from "node:assert/strict";
import { InputError } from "../errors.ts";
import type { AlgoMetrics, Metrics, SourceMetrics, SourceState } from "../observe/metrics.ts";
import { PrometheusExporter } from "../observe/prometheus.ts";
import { FFmpegProducer } from "../source/producer.ts";
import { Player } from "../source/player.ts";
import type { SourceSpec } from "../source/spec.ts";
import {
  type ControlOptions,
  type ControlServer,
  type ControlTarget,
  parseListen,
  serveControl,
  type SourceEntry,
} from "./server.ts";

interface Held {
  player: Player;
  options?: { fps?: number; position?: number };
  state: SourceState;
  error?: string;
  frames: number;
}

/** A pipeline stand-in: a Map of sources, no ffmpeg. */
class FakeTarget implements ControlTarget {
  readonly sources = new Map<string, Held>();
  readonly removed: string[] = [];
  /** Ids addSource refuses as taken although metrics() does not list them (a race). */
  readonly hidden = new Set<string>();
  failMetrics = false;

  metrics(): Metrics {
    if (this.failMetrics) throw new Error("metrics broke");
    const algo: AlgoMetrics = {
      runs: 3,
      skipped: 1,
      errors: 0,
      restarts: 0,
      disabled: false,
      runMs: { p50: 1, p95: 2 },
      lagMs: { p50: 3, p95: 4 },
    };
    const sources: Record<string, SourceMetrics> = {};
    for (const [id, h] of this.sources) {
      sources[id] = {
        url: h.player.source,
        state: h.state,
        ...(h.error ? { error: h.error } : {}),
        ring: 8,
        player: { fps: 5, framesRead: h.frames, framesDropped: 1, reconnects: 2, stalls: 0 },
        algos: { det: algo },
        // `as`: SourceMetrics is being extended concurrently (ring); the server reads neither.
      } as SourceMetrics;
    }
    return {
      algos: { det: algo },
      player: { fps: 5, framesRead: 0, framesDropped: 0, reconnects: 0, stalls: 0 },
      sources,
    };
  }

  addSource(player: Player, options?: { fps?: number; position?: number }): void {
    if (this.sources.has(player.id) || this.hidden.has(player.id)) {
      throw new InputError(`a source with id '${player.id}' is already in the pipeline`);
    }
    this.sources.set(player.id, { player, options, state: "waiting", frames: 0 });
  }

  async removeSource(id: string): Promise<boolean> {
    await Promise.resolve(); // resolves later, as reaping ffmpeg would
    if (!this.sources.delete(id)) return false;
    this.removed.push(id);
    return true;
  }
}

function createPlayer(spec: SourceSpec): Player {
  return new Player(new FFmpegProducer(spec.producer), spec.url, { id: spec.id });
}

async function withServer(
  options: Partial<ControlOptions>,
  fn: (server: ControlServer, target: FakeTarget) => void | Promise<void>,
): Promise<void> {
  const target = new FakeTarget();
  const server = serveControl({
    target,
    createPlayer,
    exporter: new PrometheusExporter({ metrics: () => target.metrics() }),
    listen: "127.0.0.1:0",
    ...options,
  });
  try {
    await fn(server, target);
  } finally {
    await server.shutdown();
  }
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

async function call(
  server: ControlServer,
  method: string,
  path: string,
  init: { body?: string; headers?: HeadersInit } = {},
): Promise<Answer> {
  const response = await fetch(server.url + path, { method, ...init });
  const text = await response.text();
  const isJson = response.headers.get("content-type")?.startsWith("application/json");
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: isJson && text !== "" ? JSON.parse(text) : undefined,
  };
}

/** Asserts a JSON error body of one line. */
function assertError(answer: Answer, status: number, pattern?: RegExp): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(Object.keys(answer.json), ["error"]);
  assert.equal(typeof answer.json.error, "string");
  assert.ok(answer.json.error.length > 0);
  assert.doesNotMatch(answer.json.error, /\n/);
  if (pattern) assert.match(answer.json.error, pattern);
}

const post = (server: ControlServer, body: string, headers?: HeadersInit) =>
  call(server, "POST", "/sources", {
    body,
    headers: { "content-type": "application/json", ...headers },
  });

Deno.test("control: healthz, unknown paths 404, wrong methods 405", async () => {
  await withServer({}, async (server) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    const health = await call(server, "GET", "/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });
    const head = await call(server, "HEAD", "/healthz");
    assert.equal(head.status, 200);
    assert.equal(head.text, "");

    assertError(await call(server, "GET", "/nope"), 404, /no such path/);
    assertError(await call(server, "GET", "/sources/a/b"), 404);
    assertError(await call(server, "GET", "/"), 404);

    const wrong = await call(server, "POST", "/healthz", { body: "{}" });
    assertError(wrong, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD");
    assertError(await call(server, "PUT", "/sources", { body: "{}" }), 405);
    assert.equal(
      (await call(server, "DELETE", "/sources")).headers.get("allow"),
      "GET, HEAD, POST",
    );
    assertError(await call(server, "POST", "/sources/x", { body: "{}" }), 405);
    assertError(await call(server, "DELETE", "/metrics"), 405);
  });
});

Deno.test("control: add, list, get and remove a source", async () => {
  await withServer({}, async (server, target) => {
    const empty = await call(server, "GET", "/sources");
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, []);

    const added = await post(
      server,
      JSON.stringify({ id: "gate", url: "rtsp://127.0.0.1:8554/gate", fps: 5, position: 0 }),
    );
    assert.equal(added.status, 201, added.text);
    assert.equal(added.headers.get("location"), "/sources/gate");
    const entry: SourceEntry = {
      id: "gate",
      url: "rtsp://127.0.0.1:8554/gate",
      state: "waiting",
      fps: 5,
      frames: 0,
      dropped: 1,
      reconnects: 2,
    };
    assert.deepEqual(added.json, entry);
    const held = target.sources.get("gate");
    assert.ok(held);
    assert.equal(held.player.id, "gate");
    assert.deepEqual(held.options, { fps: 5, position: 0 });

    // A source that could not be opened shows as failed, with its error.
    await post(server, JSON.stringify({ id: "lot", url: "./missing.mp4" }));
    const lot = target.sources.get("lot");
    assert.ok(lot);
    lot.state = "failed";
    lot.error = "./missing.mp4: no such file";
    lot.frames = 0;
    target.sources.get("gate")!.frames = 42;
    const list = await call(server, "GET", "/sources");
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, [
      { ...entry, frames: 42 },
      {
        id: "lot",
        url: "./missing.mp4",
        state: "failed",
        fps: 5,
        frames: 0,
        dropped: 1,
        reconnects: 2,
        error: "./missing.mp4: no such file",
      },
    ]);
    const one = await call(server, "GET", "/sources/lot");
    assert.equal(one.status, 200);
    assert.equal(one.json.state, "failed");

    assertError(
      await post(server, JSON.stringify({ id: "gate", url: "other.mp4" })),
      409,
      /already/,
    );

    const removed = await call(server, "DELETE", "/sources/gate");
    assert.equal(removed.status, 204);
    assert.equal(removed.text, "");
    assert.deepEqual(target.removed, ["gate"]);
    assertError(await call(server, "DELETE", "/sources/gate"), 404, /no source 'gate'/);
    assertError(await call(server, "GET", "/sources/gate"), 404);
    assertError(await call(server, "DELETE", "/sources/not%20an%20id"), 404);
    assertError(await call(server, "DELETE", "/sources/%E0%A4%A"), 404);
    assert.deepEqual((await call(server, "GET", "/sources")).json.map((s: SourceEntry) => s.id), [
      "lot",
    ]);
  });
});

Deno.test("control: a bad POST body answers 400 with a one-line reason", async () => {
  await withServer({}, async (server, target) => {
    assertError(await post(server, "{not json"), 400, /not valid JSON/);
    assertError(await post(server, ""), 400, /not valid JSON/);
    assertError(await post(server, "[1, 2]"), 400, /must be an object/);
    assertError(await post(server, JSON.stringify({ id: "bad id", url: "a.mp4" })), 400, /id/);
    assertError(
      await post(server, JSON.stringify({ id: "a", url: "a.mp4", fsp: 5 })),
      400,
      /fsp is an unknown key/,
    );
    assertError(await post(server, JSON.stringify({ id: "a", url: "a.mp4", fps: 0 })), 400, /fps/);
    assertError(
      await post(server, JSON.stringify({ id: "a", url: "a.mp4", fps: "5" })),
      400,
      /fps/,
    );
    assertError(await post(server, JSON.stringify({ id: "a", url: "" })), 400, /url/);
    assertError(
      await post(server, JSON.stringify({ id: "a", url: "a.mp4", producer: { width: 1 } })),
      400,
      /width/,
    );
    assertError(await post(server, "x".repeat(70 * 1024)), 413);
    assert.equal(target.sources.size, 0);
  });
});

Deno.test("control: addSource refusing a taken id answers 409", async () => {
  await withServer({}, async (server, target) => {
    target.hidden.add("cam");
    assertError(await post(server, JSON.stringify({ id: "cam", url: "a.mp4" })), 409, /already/);
    assert.equal(target.sources.size, 0);
  });
});

Deno.test("control: an unexpected failure answers 500 with a JSON error", async () => {
  await withServer({}, async (server, target) => {
    target.failMetrics = true;
    assertError(await call(server, "GET", "/sources"), 500, /metrics broke/);
  });
});

Deno.test("control: with a token, every request needs the right bearer token", async () => {
  await withServer({ token: "s3cret-token" }, async (server) => {
    for (const path of ["/healthz", "/sources", "/metrics", "/nope"]) {
      const missing = await call(server, "GET", path);
      assertError(missing, 401, /missing/);
      assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
      assertError(
        await call(server, "GET", path, { headers: { authorization: "Bearer s3cret-tokeN" } }),
        401,
        /wrong/,
      );
    }
    assertError(
      await call(server, "GET", "/sources", { headers: { authorization: "Basic s3cret-token" } }),
      401,
    );
    assertError(
      await call(server, "GET", "/sources", { headers: { authorization: "Bearer s3cret" } }),
      401,
    );
    const ok = await call(server, "GET", "/sources", {
      headers: { authorization: "Bearer s3cret-token" },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, []);
    const lower = await call(server, "GET", "/healthz", {
      headers: { authorization: "bearer s3cret-token" },
    });
    assert.equal(lower.status, 200);
    const added = await post(server, JSON.stringify({ id: "a", url: "a.mp4" }), {
      authorization: "Bearer s3cret-token",
    });
    assert.equal(added.status, 201);
  });
});

Deno.test("control: /metrics answers the Prometheus text format", async () => {
  await withServer({}, async (server, target) => {
    await post(server, JSON.stringify({ id: "gate", url: "gate.mp4" }));
    target.sources.get("gate")!.frames = 77;
    const metrics = await call(server, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.text, /^stream_infer_source_frames_total\{source="gate"\} 77$/m);
    assert.match(metrics.text, /^stream_infer_algo_runs_total\{algo="det",source="gate"\} 3$/m);
  });
});

Deno.test("control: requests from another site are refused", async () => {
  await withServer({}, async (server) => {
    assertError(
      await post(server, JSON.stringify({ id: "a", url: "a.mp4" }), {
        origin: "https://evil.example",
      }),
      403,
      /cross-origin/,
    );
    const same = await call(server, "GET", "/healthz", { headers: { origin: server.url } });
    assert.equal(same.status, 200);

    // DNS rebinding: a loopback server reached under a foreign host name.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await conn.write(
        new TextEncoder().encode(
          "GET /sources HTTP/1.1\r\nHost: evil.example:8600\r\nConnection: close\r\n\r\n",
        ),
      );
      const reply = await new Response(conn.readable).text();
      assert.match(reply, /^HTTP\/1\.1 403/);
      assert.match(reply, /not a loopback name/);
    } finally {
      try {
        conn.close();
      } catch {
        // reading to the end already closed it
      }
    }
  });
});

Deno.test("control: the signal shuts the server down", async () => {
  const abort = new AbortController();
  const target = new FakeTarget();
  const server = serveControl({
    target,
    createPlayer,
    exporter: new PrometheusExporter({ metrics: () => target.metrics() }),
    listen: "0",
    signal: abort.signal,
  });
  assert.equal(server.hostname, "127.0.0.1");
  abort.abort();
  await server.finished;
});

Deno.test("control: a port in use is an InputError", async () => {
  await withServer({}, (server, target) => {
    assert.throws(
      () =>
        serveControl({
          target,
          createPlayer,
          exporter: new PrometheusExporter({ metrics: () => target.metrics() }),
          listen: `127.0.0.1:${server.port}`,
        }),
      (e: unknown) => e instanceof InputError && /in use/.test(e.message),
    );
  });
});

Deno.test("control: a non-loopback address without a token is refused", () => {
  const target = new FakeTarget();
  for (const listen of ["0.0.0.0:0", "[::]:0", "192.168.1.10:8600", "example.com:8600"]) {
    assert.throws(
      () =>
        serveControl({
          target,
          createPlayer,
          exporter: new PrometheusExporter({ metrics: () => target.metrics() }),
          listen,
        }),
      (e: unknown) => e instanceof InputError && /requires a token/.test(e.message),
      listen,
    );
  }
});

Deno.test("parseListen: forms, defaults and errors", () => {
  const loop = (hostname: string, port: number) => ({ hostname, port, loopback: true });
  assert.deepEqual(parseListen("8600"), loop("127.0.0.1", 8600));
  assert.deepEqual(parseListen(9100), loop("127.0.0.1", 9100));
  assert.deepEqual(parseListen(":0"), loop("127.0.0.1", 0));
  assert.deepEqual(parseListen("localhost:8601"), loop("localhost", 8601));
  assert.deepEqual(parseListen("127.0.0.2:1"), loop("127.0.0.2", 1));
  assert.deepEqual(parseListen("[::1]:8600"), loop("::1", 8600));
  assert.deepEqual(parseListen("0.0.0.0:8600", "tok"), {
    hostname: "0.0.0.0",
    port: 8600,
    loopback: false,
  });
  assert.deepEqual(parseListen("[::]:80", "tok"), { hostname: "::", port: 80, loopback: false });
  assert.deepEqual(parseListen("cam-host.lan:80", "tok").loopback, false);

  const bad = (text: string | number, pattern: RegExp, token?: string) =>
    assert.throws(
      () => parseListen(text, token),
      (e: unknown) =>
        e instanceof InputError && pattern.test(e.message) && !e.message.includes("\n"),
      String(text),
    );
  bad("", /\[HOST:\]PORT/);
  bad("abc", /port/);
  bad("65536", /port/);
  bad("-1", /port/);
  bad("127.0.0.1:", /port/);
  bad("1.5", /port/);
  bad("::1:8600", /brackets/);
  bad("bad_host!:80", /bad host/);
  bad("0.0.0.0:8600", /requires a token/);
  bad("10.0.0.1:8600", /requires a token/);
  bad("127.0.0.1:8600", /token/, "");
  bad("127.0.0.1:8600", /token/, "has space");
});
