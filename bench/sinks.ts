/**
 * Sink overhead: a realtime pipeline paced to make 10,000 records/s (a 200 fps 64x48 clip
 * played at its pace, 50 cheap inline algorithms on every frame), measured with no sink and
 * with a JSONL, an MQTT and a webhook sink at once (MQTT at QoS 0 and at QoS 1). Target: the
 * records/s with the three sinks are at least 0.95x those without them (a pipeline that cannot
 * keep up skips ticks, so fewer records). Also reported: the p50/p95 latency from a record's
 * making to an MQTT subscriber, and what each sink wrote, dropped and queued.
 *
 * The bench starts its own peers on 127.0.0.1: a mosquitto broker (tests/peers.ts) and, in a
 * separate process so that it takes nothing from the pipeline's thread, the webhook's HTTP
 * server and the MQTT subscriber (bench/fixtures/sink_peer.ts). Rounds interleave the two
 * settings in the same process (reversed order every other round); the table shows medians.
 *
 *   deno task bench:sinks [--rounds N] [--seconds N] [--algos N] [--write]
 *
 * `--write` rewrites the "## Sinks" section of BENCHMARKS.md; without it the section is
 * printed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  BaseAlgo,
  Dispatcher,
  FFmpegProducer,
  type Frame,
  Inference,
  JsonlSink,
  locateFfmpeg,
  MqttSink,
  Player,
  type Sink,
  type SinkStats,
  WebhookSink,
} from "../mod.ts";
import { Peer } from "../tests/peers.ts";
import { freeTcpPort } from "../tests/live_helpers.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { cachedClip } from "./tools.ts";

const SECTION = "## Sinks";
/** The settings of each round: no sink, and the three sinks with MQTT at QoS 0 and 1. */
const SETTINGS = ["none", "qos0", "qos1"] as const;
const QOS = { qos0: 0, qos1: 1 } as const;
/** The clip's rate; with `--algos` (default 50) inline algorithms on every frame: 10,000 records/s. */
const FPS = 200;
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "5" },
    algos: { type: "string", default: "50" },
    write: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const ALGOS = Number(args.algos);

/** A cheap algorithm: its result carries the wall-clock time it was made. */
class Stamp extends BaseAlgo<unknown, { t: number; w: number }> {
  run(frames: Frame[]) {
    return { t: performance.timeOrigin + performance.now(), w: frames[0].width };
  }
}

interface Measured {
  records: number;
  /** From `start()` to the source's end (the play, without the sinks' closing). */
  seconds: number;
  /** From the source's end to the end of `start()`: the sinks delivering what they hold. */
  closeSeconds: number;
  /** CPU seconds of the pipeline's (main) thread over the run. */
  mainCpu: number;
  /** CPU seconds over the run: this process's other threads (the MQTT worker), broker, peer. */
  other: { threads: number; broker: number; peer: number };
  stats: SinkStats[];
}

/** utime + stime of a /proc stat file, in seconds (USER_HZ 100); 0 once it is gone. */
function cpuOf(path: string): number {
  try {
    const stat = Deno.readTextFileSync(path);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** This process's main thread (the pipeline's). */
const mainThreadCpu = () => cpuOf(`/proc/self/task/${Deno.pid}/stat`);

/** CPU seconds so far: this process's other threads (workers), the broker, the peer process. */
function otherCpu(): { threads: number; broker: number; peer: number } {
  return {
    threads: cpuOf("/proc/self/stat") - mainThreadCpu(),
    broker: cpuOf(`/proc/${broker.pid}/stat`),
    peer: cpuOf(`/proc/${peerPid}/stat`),
  };
}

async function measure(clip: string, sinks: Sink[]): Promise<Measured> {
  const dispatcher = new Dispatcher({ sinks, keepResults: 1 });
  const inference = new Inference(dispatcher);
  let records = 0;
  let ended = NaN;
  inference.observe({
    onRecord: () => void records++,
    onSource: (e) => void (e.type === "ended" && (ended = performance.now())),
  });
  try {
    for (let i = 0; i < ALGOS; i++) {
      await inference.loadAlgo(new Stamp(), {
        name: `a${i}`,
        frameCount: 1,
        frameStep: 0,
        interval: 1 / FPS,
      });
    }
    const player = new Player(new FFmpegProducer({ width: 64, height: 48, format: "gray" }), clip);
    const began = performance.now();
    const cpu = mainThreadCpu();
    const other = otherCpu();
    // start() ends after the dispatcher closed the sinks: their queues are drained by then
    await inference.start(player, { mode: "realtime" });
    const done = performance.now();
    const seconds = (ended - began) / 1000;
    const after = otherCpu();
    return {
      records,
      seconds,
      closeSeconds: (done - ended) / 1000,
      mainCpu: mainThreadCpu() - cpu,
      other: {
        threads: after.threads - other.threads,
        broker: after.broker - other.broker,
        peer: after.peer - other.peer,
      },
      stats: dispatcher.sinkStats(),
    };
  } finally {
    await inference.dispose();
  }
}

async function getStats(
  port: number,
): Promise<{ webhook: number; mqtt: number; latencies: number[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`);
  return await response.json();
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const ffmpeg = await locateFfmpeg();
const clip = await cachedClip(ffmpeg, `sinks-64x48-${FPS}fps-${SECONDS}s.mp4`, [
  "-f",
  "lavfi",
  "-i",
  `testsrc2=s=64x48:r=${FPS}:d=${SECONDS}`,
]);
const dir = await Deno.makeTempDir({ prefix: "stream-infer-bench-sinks-" });
const loadBefore = loadAverage();
const broker = await Peer.mosquitto(dir);
const httpPort = freeTcpPort();
const peer = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--quiet",
    new URL("./fixtures/sink_peer.ts", import.meta.url).pathname,
    String(httpPort),
    broker.url,
    "bench/#",
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const peerPid = peer.pid;
const reader = peer.stdout.pipeThrough(new TextDecoderStream()).getReader();
const rows: {
  round: number;
  setting: (typeof SETTINGS)[number];
  m: Measured;
  latencies?: number[];
  got?: { webhook: number; mqtt: number };
}[] = [];
try {
  const first = await reader.read();
  if (!first.value?.includes("ready")) throw new Error("the sink peer did not start");
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? [...SETTINGS] : [...SETTINGS].reverse();
    for (const setting of order) {
      if (setting === "none") {
        rows.push({ round, setting, m: await measure(clip, []) });
        continue;
      }
      await getStats(httpPort); // reset
      const sinks = [
        await JsonlSink.open(`${dir}/bench.jsonl`, { overwrite: true }),
        new MqttSink({ url: broker.url, topic: "bench/{source}/{algo}", qos: QOS[setting] }),
        new WebhookSink({
          url: `http://127.0.0.1:${httpPort}/hook`,
          batchSize: 500,
          flushInterval: 0.2,
        }),
      ];
      const m = await measure(clip, sinks);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the subscriber's last messages
      const got = await getStats(httpPort);
      rows.push({ round, setting, m, latencies: got.latencies, got });
    }
    const last = rows.slice(-SETTINGS.length).map((r) =>
      `${r.setting} ${(r.m.records / r.m.seconds).toFixed(0)} rec/s`
    );
    console.error(`round ${round}: ${last.join(", ")}`);
  }
} finally {
  await reader.cancel().catch(() => {});
  peer.kill("SIGTERM");
  await peer.status;
  await broker.stop();
  await Deno.remove(dir, { recursive: true });
}
const loadAfter = loadAverage();

const rate = (r: (typeof rows)[number]) => r.m.records / r.m.seconds;
const baseline = median(rows.filter((r) => r.setting === "none").map(rate));
const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : "–";
const LABEL = {
  none: "no sink",
  qos0: "jsonl + mqtt (QoS 0) + webhook",
  qos1: "jsonl + mqtt (QoS 1) + webhook",
} as const;

/** Median main-thread CPU milliseconds per 1000 records. */
function cpuPer1000(of: (typeof rows)[number][]): number {
  return median(of.map((r) => r.m.mainCpu / r.m.records * 1e6));
}

function summaryRow(setting: "qos0" | "qos1"): string {
  const of = rows.filter((r) => r.setting === setting);
  const loaded = median(of.map(rate));
  const latencies = of.flatMap((r) => r.latencies ?? []);
  const sink = (r: (typeof rows)[number], kind: string) =>
    r.m.stats.find((s) => s.sink.startsWith(kind))!;
  const total = (kind: string, f: (s: SinkStats) => number) =>
    of.reduce((n, r) => n + f(sink(r, kind)), 0);
  const high = (kind: string) => Math.max(...of.map((r) => sink(r, kind).queueHighWater));
  const figures = (kind: string) =>
    `${total(kind, (s) => s.written)} / ${total(kind, (s) => s.dropped)} / ${high(kind)}`;
  const received = `${of.reduce((n, r) => n + (r.got?.mqtt ?? 0), 0)} / ${
    of.reduce((n, r) => n + (r.got?.webhook ?? 0), 0)
  }`;
  const errors = of.reduce((n, r) => n + r.m.stats.reduce((e, s) => e + s.errors, 0), 0);
  const ratio = loaded / baseline;
  const p = (q: number) => fmt(percentile(latencies, q), 1);
  return `| ${LABEL[setting]} | ${fmt(loaded)} | **${fmt(ratio, 3)}×** ${
    ratio >= 0.95 ? "(met)" : "(missed)"
  } | ${fmt(cpuPer1000(of), 1)} | ${p(0.5)} / ${p(0.95)} | ${total("jsonl", (s) => s.written)} | ${
    figures("mqtt")
  } | ${figures("webhook")} | ${received} | ${errors} |`;
}

const lines = [
  SECTION,
  "",
  "```sh",
  "deno task bench:sinks          # prints this section",
  "deno task bench:sinks --write  # also rewrites it",
  "```",
  "",
  `Measured ${new Date().toISOString().slice(0, 10)} on:`,
  "",
  ...(await machine(ffmpeg, [
    `- 1-minute load average before / after the runs: ${fmt(loadBefore, 2)} / ${fmt(loadAfter, 2)}`,
  ])),
  "",
  "| setting | value |",
  "| --- | --- |",
  `| pipeline | realtime \`Inference\`, a ${SECONDS} s ${FPS} fps 64x48 testsrc2 clip (gray frames) played at its pace, ${ALGOS} inline algorithms at \`interval\` 1/${FPS} s (${
    FPS * ALGOS
  } records/s when every tick runs), each result \`{ t, w }\` |`,
  "| sinks | `jsonl` (a temp file), `mqtt` (mosquitto on 127.0.0.1, topic `bench/{source}/{algo}`, default `batchSize`), `webhook` (HTTP server in another process, `batchSize` 500, `flushInterval` 0.2) |",
  "| throughput | records / seconds from `start()` to the source's end; a tick the pipeline cannot run in time is skipped, so a slowed pipeline makes fewer records. The sinks' closing after that (delivering what they still hold) is shown apart |",
  `| rounds | ${ROUNDS}, every setting in each, reversed order every other round; medians |`,
  "| latency | from the record's making (`result.t`) to its arrival at an MQTT subscriber in another process (subscribed at QoS 0) |",
  "| pipeline thread CPU | utime + stime of the main thread (`/proc/self/task/PID/stat`) over `start()`: what the sinks cost the pipeline's own thread, apart from the peers and the MQTT worker sharing the machine |",
  "| target | records/s with the three sinks ≥ 0.95× records/s with none |",
  "",
  "| setting | records/s (median) | **with sinks / without** | pipeline thread CPU per 1000 records (ms) | MQTT latency p50 / p95 (ms) | jsonl written | mqtt written / dropped / queue high-water | webhook written / dropped / queue high-water | received: mqtt / webhook | sink errors |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  `| no sink | ${fmt(baseline)} | – | ${
    fmt(cpuPer1000(rows.filter((r) => r.setting === "none")), 1)
  } | – | – | – | – | – | – |`,
  summaryRow("qos0"),
  summaryRow("qos1"),
  "",
  "| round | setting | records | play (s) | sinks closing (s) | records/s | CPU (s): pipeline thread / other threads (MQTT worker) / mosquitto / peer process |",
  "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map((r) =>
    `| ${r.round} | ${LABEL[r.setting]} | ${r.m.records} | ${fmt(r.m.seconds, 2)} | ${
      fmt(r.m.closeSeconds, 2)
    } | ${fmt(rate(r))} | ${fmt(r.m.mainCpu, 2)} / ${fmt(r.m.other.threads, 2)} / ${
      fmt(r.m.other.broker, 2)
    } / ${fmt(r.m.other.peer, 2)} |`
  ),
];
const section = lines.join("\n");
if (args.write) await writeSection(SECTION, section);
else console.log(section);
