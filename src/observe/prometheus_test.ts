import assert from "node:assert/strict";
import type { AlgoRecord } from "../record.ts";
import type { AlgoMetrics, Metrics, SourceMetrics, SourceState } from "./metrics.ts";
import { PrometheusExporter } from "./prometheus.ts";
import { findPromtool, promtoolCheck } from "../../tests/promtool.ts";

function algo(runs: number, errors: number, skipped: number, restarts = 0): AlgoMetrics {
  return {
    runs,
    errors,
    skipped,
    restarts,
    disabled: false,
    runMs: { p50: null, p95: null },
    lagMs: { p50: null, p95: null },
  };
}

function source(
  url: string,
  state: SourceState,
  frames: number,
  dropped: number,
  reconnects: number,
  algos: Record<string, AlgoMetrics>,
): SourceMetrics {
  return {
    url,
    state,
    ring: 8,
    player: { fps: 12.5, framesRead: frames, framesDropped: dropped, reconnects, stalls: 1 },
    algos,
    // `as`: SourceMetrics is being extended concurrently (ring); the exporter reads neither.
  } as SourceMetrics;
}

/** Two sources, two algorithms; values distinct so a mix-up shows. */
function snapshot(): Metrics {
  return {
    algos: {
      det: { ...algo(10, 1, 3, 2), disabled: true },
      motion: algo(20, 0, 0),
    },
    player: { fps: 25, framesRead: 1234, framesDropped: 7, reconnects: 2, stalls: 2 },
    sources: {
      gate: source("rtsp://127.0.0.1:8554/gate", "playing", 1000, 7, 2, {
        det: algo(6, 1, 3),
        motion: algo(11, 0, 0),
      }),
      lot: {
        ...source("./lot.mp4", "failed", 234, 0, 0, { det: algo(4, 0, 0), motion: algo(9, 0, 0) }),
        error: "lot.mp4: no such file",
      },
    },
  };
}

function record(algo: string, sourceId: string, frame: number): AlgoRecord {
  return { algo, source: sourceId, frame, time: frame / 25, position: 0, result: 1 } as
    & AlgoRecord
    & { source: string };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text-format exposition (no escapes needed for the labels used here). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const [k, v] = pair.split("=");
      labels[k] = JSON.parse(v);
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function value(all: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const hit = all.filter((s) =>
    s.name === name && Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.ok(hit.length <= 1, `${name} ${JSON.stringify(labels)} appears ${hit.length} times`);
  return hit[0]?.value;
}

function near(actual: number | undefined, expected: number): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) < 1e-9,
    `${actual} is not ${expected}`,
  );
}

function feed(exporter: PrometheusExporter): void {
  let frame = 0;
  for (
    const [algo, sourceId, runMs, lagMs] of [
      ["det", "gate", 3, 12],
      ["det", "gate", 40, 80],
      ["det", "lot", 700, 1500],
      ["motion", "gate", 0.4, 2],
      ["motion", "lot", 1, 45_000],
    ] as const
  ) {
    exporter.onRecord(record(algo, sourceId, frame++), { runMs, lagMs, instance: 0 });
  }
}

const hasPromtool = await findPromtool();
if (!hasPromtool) {
  console.warn("prometheus_test: promtool not found on PATH; skipping the promtool check");
}

Deno.test({
  name: "PrometheusExporter: promtool check metrics passes without lint complaints",
  ignore: !hasPromtool,
  async fn() {
    const exporter = new PrometheusExporter({ metrics: snapshot });
    feed(exporter);
    const text = await exporter.text();
    const { code, output } = await promtoolCheck(text);
    assert.equal(code, 0, `promtool exited ${code}:\n${output}\n--- input ---\n${text}`);
    assert.equal(output, "", `promtool complained:\n${output}`);
  },
});

Deno.test("PrometheusExporter: counters equal the metrics() snapshot", async () => {
  const exporter = new PrometheusExporter({ metrics: snapshot });
  feed(exporter);
  assert.match(exporter.contentType, /^text\/plain; version=0\.0\.4/);
  const all = samples(await exporter.text());
  const m = snapshot();
  for (const [id, s] of Object.entries(m.sources)) {
    const source = { source: id };
    assert.equal(value(all, "stream_infer_source_frames_total", source), s.player.framesRead);
    assert.equal(value(all, "stream_infer_source_dropped_total", source), s.player.framesDropped);
    assert.equal(value(all, "stream_infer_source_reconnects_total", source), s.player.reconnects);
    assert.equal(value(all, "stream_infer_source_stalls_total", source), s.player.stalls);
    assert.equal(value(all, "stream_infer_source_fps", source), s.player.fps);
    assert.equal(value(all, "stream_infer_source_state", { ...source, state: s.state }), 1);
    assert.equal(value(all, "stream_infer_source_state", { ...source, state: "ended" }), 0);
    for (const [name, a] of Object.entries(s.algos)) {
      const labels = { algo: name, source: id };
      assert.equal(value(all, "stream_infer_algo_runs_total", labels), a.runs);
      assert.equal(value(all, "stream_infer_algo_errors_total", labels), a.errors);
      assert.equal(value(all, "stream_infer_algo_skipped_total", labels), a.skipped);
    }
  }
  assert.equal(value(all, "stream_infer_algo_restarts_total", { algo: "det" }), 2);
  assert.equal(value(all, "stream_infer_algo_disabled", { algo: "det" }), 1);
  assert.equal(value(all, "stream_infer_algo_disabled", { algo: "motion" }), 0);

  // Histograms: one observation per record, in seconds.
  const detGate = { algo: "det", source: "gate" };
  assert.equal(value(all, "stream_infer_algo_run_seconds_count", detGate), 2);
  near(value(all, "stream_infer_algo_run_seconds_sum", detGate), 0.043);
  near(value(all, "stream_infer_algo_lag_seconds_sum", detGate), 0.092);
  assert.equal(value(all, "stream_infer_algo_run_seconds_bucket", { ...detGate, le: "0.005" }), 1);
  assert.equal(value(all, "stream_infer_algo_lag_seconds_bucket", { ...detGate, le: "+Inf" }), 2);
  const motionLot = { algo: "motion", source: "lot" };
  assert.equal(value(all, "stream_infer_algo_lag_seconds_bucket", { ...motionLot, le: "30" }), 0);
  assert.equal(value(all, "stream_infer_algo_lag_seconds_count", motionLot), 1);
});

Deno.test("PrometheusExporter: every scrape reads a fresh snapshot", async () => {
  let m = snapshot();
  const exporter = new PrometheusExporter({ metrics: () => m });
  feed(exporter);
  await exporter.text();
  m = snapshot();
  m.sources.gate.player.framesRead = 5000;
  delete (m.sources as Record<string, SourceMetrics>).lot;
  const all = samples(await exporter.text());
  assert.equal(value(all, "stream_infer_source_frames_total", { source: "gate" }), 5000);
  // A source gone from the snapshot leaves no series behind, histograms included.
  assert.ok(!all.some((s) => s.labels.source === "lot"), "series of 'lot' remain");
  assert.equal(
    value(all, "stream_infer_algo_run_seconds_count", { algo: "motion", source: "gate" }),
    1,
  );
});

Deno.test("PrometheusExporter: each exporter has its own registry", async () => {
  // With a shared registry, the second constructor would throw on duplicate metric names.
  const a = new PrometheusExporter({ metrics: snapshot });
  const b = new PrometheusExporter({
    metrics: () => ({ ...snapshot(), sources: {} }),
    buckets: [0.1, 1],
  });
  feed(a);
  const textB = await b.text();
  assert.doesNotMatch(textB, /source="gate"/);
  assert.match(await a.text(), /stream_infer_source_frames_total\{source="gate"\} 1000/);
});
