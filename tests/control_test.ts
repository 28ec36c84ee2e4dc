/**
 * The control API and its metrics (docs/contract.md §8) against real runs.
 *
 * Most tests run the CLI as a subprocess (`run CONFIG --mode realtime --control
 * 127.0.0.1:PORT --out F`) on a generated 60 s clip, source `a`, with plugins/motion.ts; they
 * drive it over HTTP, then stop it with SIGINT. Live sources are ffmpeg children serving
 * MPEG-TS over HTTP on loopback ({@link FfmpegServer}). The last test builds Inference +
 * PrometheusExporter + serveControl in-process, so that `/metrics` can still be scraped once
 * an offline run has finished and compared exactly with the run's summary.
 *
 * Everything listens on 127.0.0.1. Waits are bounded polls, never timing assertions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatSummary } from "../src/cli/main.ts";
import { BaseAlgo } from "../src/algo/algo.ts";
import { type ControlServer, serveControl, type SourceEntry } from "../src/control/server.ts";
import type { Frame } from "../src/frame.ts";
import { PrometheusExporter } from "../src/observe/prometheus.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import {
  assertOneLineError,
  makeTestsrc,
  ROOT,
  runCli,
  withTempDir,
  writeText,
} from "./helpers.ts";
import {
  assertNoFfmpegLeft,
  FfmpegServer,
  freeTcpPort,
  liveEndpoint,
  waitListening,
  waitUntil,
  within,
} from "./live_helpers.ts";
import { findPromtool, promtoolCheck } from "./promtool.ts";
import { CliRun } from "./cli_run.ts";

const MOTION = `${ROOT}/plugins/motion.ts`;
const TOKEN = "s3cret";

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/** A response, read to the end (so no body stream is left open). */
interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON. */
  body: unknown;
}

async function request(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const what = `${init.method ?? "GET"} ${base}${path}`;
  const response = await within(15_000, what, fetch(base + path, init));
  const text = await within(15_000, `${what} (body)`, response.text());
  const json = /json/.test(response.headers.get("content-type") ?? "") && text !== "";
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: json ? JSON.parse(text) : undefined,
  };
}

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** Asserts `{"error": "<one line>"}` with the given status; returns the message. */
function assertError(reply: Reply, status: number, what: string): string {
  assert.equal(
    reply.status,
    status,
    `${what}: expected ${status}, got ${reply.status}: ${reply.text}`,
  );
  const body = reply.body as Record<string, unknown> | undefined;
  assert.ok(body && typeof body === "object", `${what}: not a JSON body: ${reply.text}`);
  assert.deepEqual(Object.keys(body), ["error"], `${what}: ${reply.text}`);
  assert.equal(typeof body.error, "string");
  const message = body.error as string;
  assert.ok(message.trim() !== "" && !/[\r\n]/.test(message), `${what}: not one line: ${message}`);
  return message;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text
// ---------------------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text-format exposition (label values here need no escapes). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const at = pair.indexOf("=");
      labels[pair.slice(0, at)] = JSON.parse(pair.slice(at + 1));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with exactly these labels; fails when absent. */
function metric(all: Sample[], name: string, labels: Record<string, string>): number {
  const hits = all.filter((s) =>
    s.name === name && Object.keys(s.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.equal(hits.length, 1, `${name}${JSON.stringify(labels)} appears ${hits.length} times`);
  return hits[0].value;
}

/** The series of §8.3 (the contract), one label set each. */
function assertContractSeries(all: Sample[], source: string, algo: string): void {
  for (const name of ["frames", "dropped", "reconnects"]) {
    metric(all, `stream_infer_source_${name}_total`, { source });
  }
  for (const name of ["runs", "errors", "skipped"]) {
    metric(all, `stream_infer_algo_${name}_total`, { algo, source });
  }
  for (const name of ["run", "lag"]) {
    metric(all, `stream_infer_algo_${name}_seconds_count`, { algo, source });
    metric(all, `stream_infer_algo_${name}_seconds_sum`, { algo, source });
    metric(all, `stream_infer_algo_${name}_seconds_bucket`, { algo, source, le: "+Inf" });
  }
}

const hasPromtool = await findPromtool();
if (!hasPromtool) {
  console.warn("control_test: promtool not found on PATH; skipping `promtool check metrics`");
}

// ---------------------------------------------------------------------------------------------
// The CLI summary (text for people; parsed leniently)
// ---------------------------------------------------------------------------------------------

interface SummarySource {
  state: string;
  frames: number;
  algos: Map<string, { runs: number; errors: number; skipped?: number }>;
}

/** The per-source part of the summary `formatSummary` writes. */
function parseSummary(text: string): Map<string, SummarySource> {
  const sources = new Map<string, SummarySource>();
  let current: SummarySource | undefined;
  for (const line of text.split("\n")) {
    const s = /^ {2}source (\S+): (\w+), (\d+) frames\b/.exec(line);
    if (s) {
      current = { state: s[2], frames: Number(s[3]), algos: new Map() };
      sources.set(s[1], current);
      continue;
    }
    const a = /^ {4}(\S+): (\d+) runs, (\d+) errors(?:, (\d+) skipped)?/.exec(line);
    if (a && current) {
      current.algos.set(a[1], {
        runs: Number(a[2]),
        errors: Number(a[3]),
        ...(a[4] !== undefined ? { skipped: Number(a[4]) } : {}),
      });
      continue;
    }
    if (!/^ {4}/.test(line)) current = undefined;
  }
  return sources;
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/** ffmpeg/ffprobe processes reading `url` (its input), not the server writing to it. */
async function readersOf(url: string): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "pid,stat,args"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").slice(1).filter((line) => {
    const args = line.trim().split(/\s+/).slice(2);
    return /(^|\/)ff(mpeg|probe)$/.test(args[0] ?? "") && args.includes(url) &&
      !args.includes("-listen");
  });
}

/** Children of `pid` that are unreaped (zombie) ffmpeg or ffprobe processes. */
async function zombieChildren(pid: number): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["--ppid", String(pid), "-o", "pid=,stat=,comm="],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) => {
    const [, stat, comm] = line.trim().split(/\s+/);
    return stat?.startsWith("Z") && /^ff(mpeg|probe)/.test(comm ?? "");
  });
}

/** A realtime CLI run with the control API, its output drained as it comes. */
class ControlCli extends CliRun {
  readonly base: string;
  readonly token?: string;

  constructor(args: string[], base: string, token?: string) {
    super(args);
    this.base = base;
    this.token = token;
  }

  /** Fails (with its stderr) if the CLI has exited. */
  assertRunning(): void {
    if (this.exited) {
      throw new Error(`the CLI exited early (${this.exited.code}):\n${this.stderr}`);
    }
  }

  /** A request to the API, with the bearer token when the run has one. */
  api(path: string, init: RequestInit = {}): Promise<Reply> {
    this.assertRunning();
    const headers = new Headers(init.headers);
    if (this.token && !headers.has("authorization")) {
      headers.set("authorization", `Bearer ${this.token}`);
    }
    return request(this.base, path, { ...init, headers });
  }

  /** `GET /sources`. */
  async sources(): Promise<SourceEntry[]> {
    const reply = await this.api("/sources");
    assert.equal(reply.status, 200, reply.text);
    return reply.body as SourceEntry[];
  }

  /** One entry of `GET /sources`, or undefined. */
  async source(id: string): Promise<SourceEntry | undefined> {
    return (await this.sources()).find((s) => s.id === id);
  }

  /** `GET /metrics`, parsed. */
  async metrics(): Promise<{ text: string; samples: Sample[]; contentType: string }> {
    const reply = await this.api("/metrics");
    assert.equal(reply.status, 200, reply.text);
    return {
      text: reply.text,
      samples: samples(reply.text),
      contentType: reply.headers.get("content-type") ?? "",
    };
  }

  /** Waits (bounded) until source `id` plays with more than `frames` frames; returns them. */
  async waitFrames(id: string, frames: number): Promise<number> {
    let seen = 0;
    await waitUntil(30_000, `source ${id} playing with more than ${frames} frames`, async () => {
      const s = await this.source(id);
      seen = s?.state === "playing" ? s.frames : 0;
      return seen > frames;
    });
    return seen;
  }

  /** SIGINT, then a bounded wait for the exit and the end of its output. */
  interrupt(): Promise<Deno.CommandStatus> {
    this.child.kill("SIGINT");
    return this.finish(30_000, "the CLI to stop on SIGINT");
  }
}

/** A 60 s clip (the run outlasts any test, which stops it with SIGINT), encoded fast. */
function longClip(path: string): Promise<string> {
  return makeTestsrc(path, { seconds: 60, fps: 25, preset: "ultrafast" });
}

/** A realtime config playing `clip` as source `a` through the motion plugin. */
function writeConfig(dir: string, clip: string, control = ""): Promise<string> {
  return writeText(
    `${dir}/pipeline.yaml`,
    [
      "sources:",
      `  - { id: a, url: ${clip} }`,
      "mode: realtime",
      "producer: { width: 160, height: 120, format: rgb24 }",
      "algos:",
      `  - plugin: ${MOTION}`,
      "    name: motion",
      "    frameCount: 2",
      "    frameStep: 1",
      "    interval: 0.2",
      "    options: { width: 80 }",
      control,
      "",
    ].join("\n"),
  );
}

/**
 * Starts `run CONFIG --mode realtime --out DIR/out.jsonl` with the control API on a free
 * loopback port (`--control`, or `control:` in the config when a token is given) and waits
 * until it answers and `a` plays. A port taken by someone else in between is retried.
 */
async function startRun(dir: string, token?: string): Promise<ControlCli> {
  const clip = await longClip(`${dir}/a.mp4`);
  for (let attempt = 1;; attempt++) {
    const port = freeTcpPort();
    const control = token ? `control: { listen: "127.0.0.1:${port}", token: ${token} }` : "";
    const config = await writeConfig(dir, clip, control);
    const args = ["run", config, "--mode", "realtime", "--out", `${dir}/out.jsonl`];
    if (!token) args.push("--control", `127.0.0.1:${port}`);
    const cli = new ControlCli(args, `http://127.0.0.1:${port}`, token);
    try {
      await waitUntil(60_000, "the control API to listen", () => {
        if (cli.exited) return true;
        return /control API on /.test(cli.stderr);
      });
      if (cli.exited) {
        if (cli.exited.code === 2 && /in use/.test(cli.stderr) && attempt < 3) {
          await cli.kill();
          continue;
        }
        cli.assertRunning();
      }
      const printed = /control API on (\S+)/.exec(cli.stderr)?.[1];
      assert.equal(printed, cli.base, "the printed control URL");
      await cli.waitFrames("a", 0);
      return cli;
    } catch (e) {
      await cli.kill();
      throw e;
    }
  }
}

/** Stops the run with SIGINT and checks the graceful stop: exit 130, a summary, no stack. */
async function stopRun(cli: ControlCli): Promise<Map<string, SummarySource>> {
  const status = await cli.interrupt();
  assert.equal(status.signal, null, `killed by ${status.signal}:\n${cli.stderr}`);
  assert.equal(status.code, 130, `exit ${status.code}:\n${cli.stderr}`);
  assert.doesNotMatch(cli.stderr, /^\s+at /m, "a stack trace on stderr");
  assert.match(cli.stderr, /\(stopped\)/);
  return parseSummary(cli.stderr);
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

Deno.test("control: POST a live HTTP source to a running CLI, it plays; DELETE reaps its ffmpeg", async () => {
  await withTempDir(async (dir) => {
    const server = FfmpegServer.start(await liveEndpoint("http"));
    const url = server.endpoint.url;
    let cli: ControlCli | undefined;
    try {
      await waitListening(server.endpoint);
      cli = await startRun(dir);

      const added = await cli.api("/sources", post({ id: "live", url }));
      assert.equal(added.status, 201, added.text);
      assert.equal(added.headers.get("location"), "/sources/live");
      const entry = added.body as SourceEntry;
      assert.equal(entry.id, "live");
      assert.equal(entry.url, url);
      assert.ok(["waiting", "playing"].includes(entry.state), `state ${entry.state}`);

      // it is listed, and plays
      await cli.waitFrames("live", 0);
      const one = await cli.api("/sources/live");
      assert.equal(one.status, 200, one.text);
      assert.equal((one.body as SourceEntry).id, "live");
      assert.equal((await cli.sources()).map((s) => s.id).sort().join(), "a,live");
      assert.equal((await readersOf(url)).length, 1, "one ffmpeg reading the live URL");
      await waitUntil(15_000, "a /metrics series of source live", async () => {
        const m = await cli!.metrics();
        return metric(m.samples, "stream_infer_source_frames_total", { source: "live" }) > 0;
      });

      // DELETE answers 204 once its ffmpeg is reaped: nothing reads the URL any more
      const removed = await cli.api("/sources/live", { method: "DELETE" });
      assert.equal(removed.status, 204, removed.text);
      assert.equal(removed.text, "");
      assert.deepEqual(await readersOf(url), [], "an ffmpeg still reads the deleted source");
      assert.deepEqual(await zombieChildren(cli.child.pid), [], "an unreaped ffmpeg");
      assert.deepEqual((await cli.sources()).map((s) => s.id), ["a"]);
      assertError(await cli.api("/sources/live"), 404, "GET a deleted source");
      const m = await cli.metrics();
      assert.deepEqual(m.samples.filter((s) => s.labels.source === "live"), []);
      assertError(await cli.api("/sources/live", { method: "DELETE" }), 404, "DELETE again");

      // source a never noticed
      const a = await cli.source("a");
      assert.equal(a?.state, "playing");
      await cli.waitFrames("a", a!.frames);

      const summary = await stopRun(cli);
      assert.deepEqual([...summary.keys()], ["a"], cli.stderr);
      await assertNoFfmpegLeft(dir);
      assert.deepEqual(await readersOf(url), []);
    } finally {
      await cli?.kill();
      await server.stop();
    }
  });
});

Deno.test("control: 400 for bad bodies, 404 for unknown ids, 409 for a taken id (CLI run)", async () => {
  await withTempDir(async (dir) => {
    const cli = await startRun(dir);
    try {
      const other = `${dir}/other.mp4`;
      const bad: [string, unknown, RegExp][] = [
        ["bad JSON", '{"id": "x", "url": ', /JSON/],
        ["not an object", ["x"], /object/],
        ["a bad id", { id: "no spaces", url: other }, /\bid\b/],
        ["a bad id (path)", { id: "../etc", url: other }, /\bid\b/],
        ["an unknown key", { id: "x", url: other, colour: "red" }, /colour/],
        ["no url", { id: "x" }, /\burl\b/],
        ["a bad fps", { id: "x", url: other, fps: 0 }, /\bfps\b/],
        ["a bad producer", { id: "x", url: other, producer: { format: "cmyk" } }, /format/],
      ];
      for (const [what, body, reason] of bad) {
        const message = assertError(await cli.api("/sources", post(body)), 400, what);
        assert.match(message, reason, what);
      }
      assert.deepEqual((await cli.sources()).map((s) => s.id), ["a"], "a bad POST added a source");

      for (const method of ["GET", "DELETE"]) {
        assertError(await cli.api("/sources/nope", { method }), 404, `${method} an unknown id`);
      }

      const before = await cli.source("a");
      const taken = await cli.api("/sources", post({ id: "a", url: other }));
      assert.match(assertError(taken, 409, "POST a taken id"), /\ba\b/);
      const list = await cli.sources();
      assert.deepEqual(list.map((s) => s.id), ["a"]);
      assert.equal(list[0].url, before!.url, "the 409 replaced source a");
      assert.equal(list[0].state, "playing");
      await cli.waitFrames("a", list[0].frames);

      const summary = await stopRun(cli);
      assert.deepEqual([...summary.keys()], ["a"], cli.stderr);
      await assertNoFfmpegLeft(dir);
    } finally {
      await cli.kill();
    }
  });
});

Deno.test("control: dead sources show as failed while source a keeps playing (CLI run)", async () => {
  await withTempDir(async (dir) => {
    const cli = await startRun(dir);
    const deadUrl = `http://127.0.0.1:${freeTcpPort()}/x.ts`;
    const missing = `${dir}/missing.mp4`;
    try {
      for (const [id, url] of [["dead", deadUrl], ["missing", missing]]) {
        const added = await cli.api("/sources", post({ id, url }));
        assert.equal(added.status, 201, `POST ${id}: ${added.text}`);
      }
      let failed: SourceEntry[] = [];
      await waitUntil(30_000, "both dead sources to fail", async () => {
        failed = (await cli.sources()).filter((s) => s.state === "failed");
        return failed.length === 2;
      });
      for (const s of failed) {
        assert.equal(typeof s.error, "string", JSON.stringify(s));
        assert.ok(s.error!.trim() !== "", JSON.stringify(s));
        assert.equal(s.frames, 0);
      }
      assert.deepEqual(failed.map((s) => s.id).sort(), ["dead", "missing"]);

      // a plays on: its frame count goes up after the failures
      const a = await cli.source("a");
      assert.equal(a?.state, "playing");
      await cli.waitFrames("a", a!.frames);

      // a failed source keeps its id until it is deleted; then the id is free again
      assertError(await cli.api("/sources", post({ id: "dead", url: deadUrl })), 409, "re-POST");
      for (const id of ["dead", "missing"]) {
        const removed = await cli.api(`/sources/${id}`, { method: "DELETE" });
        assert.equal(removed.status, 204, `DELETE ${id}: ${removed.text}`);
      }
      assert.deepEqual((await cli.sources()).map((s) => s.id), ["a"]);
      const again = await cli.api("/sources", post({ id: "dead", url: deadUrl }));
      assert.equal(again.status, 201, again.text);
      await waitUntil(30_000, "the re-added dead source to fail", async () => {
        return (await cli.source("dead"))?.state === "failed";
      });
      assert.equal((await cli.api("/sources/dead", { method: "DELETE" })).status, 204);

      const summary = await stopRun(cli);
      assert.deepEqual([...summary.keys()], ["a"], cli.stderr);
      await assertNoFfmpegLeft(dir);
      assert.deepEqual(await readersOf(deadUrl), []);
    } finally {
      await cli.kill();
    }
  });
});

Deno.test("control: with control.token, every request needs the bearer token (CLI run)", async () => {
  await withTempDir(async (dir) => {
    const cli = await startRun(dir, TOKEN);
    try {
      const wrong = { authorization: "Bearer wrong-token" };
      const basic = { authorization: `Basic ${btoa(`user:${TOKEN}`)}` };
      const body = { id: "x", url: `${dir}/a.mp4` };
      // one at a time: a request that wrongly passes must not race the others
      const refused: [string, string, RequestInit][] = [
        ["GET /healthz, no token", "/healthz", {}],
        ["GET /metrics, no token", "/metrics", {}],
        ["GET /sources, wrong token", "/sources", { headers: wrong }],
        ["GET /sources, another scheme", "/sources", { headers: basic }],
        ["POST /sources, no token", "/sources", post(body)],
        ["POST /sources, wrong token", "/sources", post(body, wrong)],
        ["DELETE /sources/a, no token", "/sources/a", { method: "DELETE" }],
        ["DELETE /sources/a, wrong token", "/sources/a", { method: "DELETE", headers: wrong }],
      ];
      for (const [what, path, init] of refused) {
        const r = await request(cli.base, path, init);
        assertError(r, 401, what);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer\b/, what);
      }

      // with the token everything passes, and the refused requests changed nothing
      const health = await cli.api("/healthz");
      assert.equal(health.status, 200, health.text);
      assert.deepEqual(health.body, { status: "ok" });
      const list = await cli.sources();
      assert.deepEqual(list.map((s) => [s.id, s.state]), [["a", "playing"]]);
      const m = await cli.metrics();
      metric(m.samples, "stream_infer_source_frames_total", { source: "a" });
      assertError(await cli.api("/sources/nope", { method: "DELETE" }), 404, "DELETE, token");

      await stopRun(cli);
      await assertNoFfmpegLeft(dir);
    } finally {
      await cli.kill();
    }
  });
});

Deno.test("control: listen 0.0.0.0 without a token exits 2 with one line, before binding", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/a.mp4`, { seconds: 1 });
    // Holding the port on 127.0.0.1 makes any bind of 0.0.0.0:PORT (or 127.0.0.1:PORT) fail
    // with "address in use": a token error instead shows that nothing tried to bind.
    const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (held.addr as Deno.NetAddr).port;
    try {
      const config = (listen: string) =>
        writeText(
          `${dir}/${listen.split(":")[0]}.yaml`,
          [
            `source: ${clip}`,
            "mode: realtime",
            "algos:",
            `  - { plugin: ${MOTION}, name: motion, frameCount: 1, frameStep: 0, interval: 0.5 }`,
            `control: { listen: "${listen}" }`,
            "",
          ].join("\n"),
        );
      const [open, busy] = await Promise.all([
        config(`0.0.0.0:${port}`).then((c) => runCli(["run", c, "--out", `${dir}/o1.jsonl`])),
        config(`127.0.0.1:${port}`).then((c) => runCli(["run", c, "--out", `${dir}/o2.jsonl`])),
      ]);
      assert.equal(open.code, 2, open.stderr);
      const line = assertOneLineError(open);
      assert.match(line, /token/);
      assert.match(line, /0\.0\.0\.0/);
      assert.doesNotMatch(line, /in use/);
      assert.equal(open.stdout, "");
      // the control: the same CLI, told to bind the held port on loopback, says so
      assert.equal(busy.code, 2, busy.stderr);
      assert.match(assertOneLineError(busy), /in use/);
      await assertNoFfmpegLeft(dir);
    } finally {
      held.close();
    }
  });
});

Deno.test("control: /metrics of a running CLI passes promtool; the final summary agrees with it", async (t) => {
  await withTempDir(async (dir) => {
    const cli = await startRun(dir);
    try {
      // scrape once the histograms have observations
      let first = await cli.metrics();
      await waitUntil(30_000, "motion runs on source a", async () => {
        first = await cli.metrics();
        return metric(first.samples, "stream_infer_algo_runs_total", {
          algo: "motion",
          source: "a",
        }) >= 2;
      });
      assert.match(first.contentType, /^text\/plain; version=0\.0\.4/);
      assertContractSeries(first.samples, "a", "motion");
      assert.ok(metric(first.samples, "stream_infer_source_frames_total", { source: "a" }) > 0);

      await t.step({
        name: "promtool check metrics: exit 0, no complaints",
        ignore: !hasPromtool,
        async fn() {
          const { code, output } = await promtoolCheck(first.text);
          assert.equal(code, 0, output);
          assert.equal(output, "", "promtool complained");
        },
      });

      // counters only grow; the summary, written after the last scrape, is at least as far
      const last = await cli.metrics();
      const labels = { algo: "motion", source: "a" };
      for (const name of ["runs", "errors", "skipped"]) {
        const key = `stream_infer_algo_${name}_total`;
        assert.ok(metric(last.samples, key, labels) >= metric(first.samples, key, labels), key);
      }
      const framesTotal = metric(last.samples, "stream_infer_source_frames_total", { source: "a" });
      const dropped = metric(last.samples, "stream_infer_source_dropped_total", { source: "a" });
      const runs = metric(last.samples, "stream_infer_algo_runs_total", labels);
      const errors = metric(last.samples, "stream_infer_algo_errors_total", labels);
      const skipped = metric(last.samples, "stream_infer_algo_skipped_total", labels);

      const summary = await stopRun(cli);
      const a = summary.get("a");
      assert.ok(a, `no summary for source a:\n${cli.stderr}`);
      const motion = a.algos.get("motion");
      assert.ok(motion, `no motion line for source a:\n${cli.stderr}`);
      const tail = `summary ${JSON.stringify({ ...a, algos: [...a.algos] })}, scraped ` +
        JSON.stringify({ framesTotal, dropped, runs, errors, skipped });
      // frames_total counts frames read, dropped ones included; the summary counts played ones
      assert.ok(a.frames >= framesTotal - dropped, tail);
      assert.ok(motion.runs >= runs, tail);
      assert.ok(motion.errors >= errors, tail);
      assert.equal(motion.errors, 0, tail);
      assert.ok(motion.skipped === undefined || motion.skipped >= skipped, tail);
      await assertNoFfmpegLeft(dir);
    } finally {
      await cli.kill();
    }
  });
});

/** An inline algorithm: how many frames it got. */
class CountFrames extends BaseAlgo<unknown, number> {
  run(frames: Frame[]): number {
    return frames.length;
  }
}

Deno.test("control: after an offline run, /metrics equals the summary and metrics() exactly", async () => {
  await withTempDir(async (dir) => {
    const clips = {
      a: await makeTestsrc(`${dir}/a.mp4`, { seconds: 2, fps: 25 }),
      b: await makeTestsrc(`${dir}/b.mp4`, { seconds: 1.2, fps: 10 }),
    };
    const inference = new Inference(new Dispatcher());
    const player = (id: string, url: string) =>
      new Player(new FFmpegProducer({ width: 160, height: 120, format: "rgb24" }), url, { id });
    let server: ControlServer | undefined;
    try {
      await inference.loadAlgo(MOTION, {
        name: "motion",
        frameCount: 2,
        frameStep: 1,
        interval: 0.2,
        options: { width: 80 },
      });
      await inference.loadAlgo(new CountFrames(), {
        name: "count",
        frameCount: 1,
        frameStep: 0,
        interval: 0.5,
      });
      inference.addSource(player("a", clips.a));
      inference.addSource(player("b", clips.b), { fps: 5 });
      const exporter = new PrometheusExporter({ metrics: () => inference.metrics() });
      inference.observe(exporter);
      server = serveControl({
        target: inference,
        exporter,
        createPlayer: (spec) => player(spec.id, spec.url),
        listen: "127.0.0.1:0",
      });
      const summary = await within(
        60_000,
        "the offline run",
        inference.start(undefined, { mode: "offline" }),
      );
      const metrics = inference.metrics();
      const reply = await request(server.url, "/metrics");
      assert.equal(reply.status, 200, reply.text);
      const all = samples(reply.text);
      const listed = await request(server.url, "/sources");
      const entries = listed.body as SourceEntry[];
      const printed = parseSummary(formatSummary(summary, metrics, "offline"));

      for (const id of ["a", "b"]) {
        const m = metrics.sources[id];
        const s = summary.sources[id];
        assert.equal(s.state, "ended", `${id}: ${s.error}`);
        const frames = metric(all, "stream_infer_source_frames_total", { source: id });
        assert.ok(frames > 0, `${id}: no frames`);
        assert.equal(frames, m.player.framesRead, `${id}: frames_total vs metrics()`);
        assert.equal(frames, s.frames, `${id}: frames_total vs summary`);
        assert.equal(frames, printed.get(id)?.frames, `${id}: frames_total vs printed summary`);
        assert.equal(frames, entries.find((e) => e.id === id)?.frames, `${id}: GET /sources`);
        assert.equal(metric(all, "stream_infer_source_dropped_total", { source: id }), 0);
        for (const algo of ["motion", "count"]) {
          const labels = { algo, source: id };
          const runs = metric(all, "stream_infer_algo_runs_total", labels);
          assert.ok(runs > 0, `${algo} on ${id}: no runs`);
          assert.equal(runs, s.algos[algo].runs, `${algo} on ${id}: runs_total vs summary`);
          assert.equal(runs, m.algos[algo].runs, `${algo} on ${id}: runs_total vs metrics()`);
          assert.equal(runs, printed.get(id)?.algos.get(algo)?.runs, `${algo} on ${id}: printed`);
          assert.equal(
            metric(all, "stream_infer_algo_run_seconds_count", labels),
            runs,
            `${algo} on ${id}: run_seconds_count vs runs_total`,
          );
          for (const name of ["errors", "skipped"] as const) {
            assert.equal(
              metric(all, `stream_infer_algo_${name}_total`, labels),
              s.algos[algo][name],
              `${algo} on ${id}: ${name}`,
            );
          }
          assert.equal(s.algos[algo].errors, 0);
        }
      }
      for (const algo of ["motion", "count"]) {
        const total = all.filter((x) => x.name === "stream_infer_algo_runs_total")
          .filter((x) => x.labels.algo === algo).reduce((n, x) => n + x.value, 0);
        assert.equal(total, summary.algos[algo].runs, `${algo}: total runs`);
      }
    } finally {
      await server?.shutdown();
      await inference.dispose();
    }
    await assertNoFfmpegLeft(dir);
  });
});
