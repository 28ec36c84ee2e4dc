/**
 * The dev UI's live view at 1280x720:
 *
 * 1. Frames per second delivered to one and to three watchers (plain HTTP clients reading the
 *    MJPEG stream, counting parts), realtime run of a 25 fps clip with the motion plugin.
 * 2. The pipeline's throughput (offline, motion on every frame, frames per second of wall
 *    clock) with one watcher vs none, in interleaved rounds; target ratio >= 0.9.
 *
 *     deno task bench:ui [--rounds 3] [--seconds 8] [--write]
 *
 * `--write` rewrites the "## Dev UI" section of BENCHMARKS.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { serveDev } from "../mod.ts";
import { loadAverage, machine, median, writeSection } from "./report.ts";
import { ensureClip } from "./tools.ts";
import { JpegEncoder } from "../src/dev/jpeg.ts";

const SECTION = "## Dev UI";
const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    write: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const ffmpeg = "ffmpeg";
const clip = await ensureClip(ffmpeg, { width: 1280, height: 720, fps: 25, seconds: 30 });
const dir = await Deno.makeTempDir({ prefix: "stream-infer-bench-ui-" });

function config(mode: "realtime" | "offline", interval: number): string {
  return `source: ${clip}
mode: ${mode}
algos:
  - { plugin: motion, name: motion, interval: ${interval}, options: { width: 160 } }
sinks:
  - { type: jsonl, path: ${dir}/records.jsonl, overwrite: true }
`;
}

/** Reads an MJPEG stream, counting parts from `from` to `to` (ms of performance.now()). */
async function countParts(url: string, from: number, to: number, signal: AbortSignal) {
  const response = await fetch(url, { signal });
  const reader = response.body!.getReader();
  const marker = new TextEncoder().encode("Content-Type: image/jpeg");
  let parts = 0;
  try {
    while (performance.now() < to) {
      const { value, done } = await reader.read();
      if (done) break;
      if (performance.now() < from) continue;
      for (let i = 0; i + marker.length <= value.length; i++) {
        if (value[i] === marker[0] && marker.every((b, k) => value[i + k] === b)) parts++;
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
    return parts; // aborted: the body has errored, there is nothing left to cancel
  }
  await reader.cancel().catch(() => {});
  return parts;
}

/** Live view: fps per watcher with `watchers` clients, over `seconds` after 2 s of warm-up. */
async function liveView(watchers: number): Promise<number[]> {
  const file = `${dir}/live.yaml`;
  await Deno.writeTextFile(file, config("realtime", 0.5));
  const server = serveDev({ config: file, port: 0 });
  const abort = new AbortController();
  try {
    await server.session.start({});
    const from = performance.now() + 2000;
    const to = from + seconds * 1000;
    const counts = await Promise.all(
      Array.from(
        { length: watchers },
        () => countParts(`${server.url}/video/main.mjpg`, from, to, abort.signal),
      ),
    );
    return counts.map((n) => n / seconds);
  } finally {
    abort.abort();
    await server.shutdown();
  }
}

/** Offline throughput (played frames per second), with one watcher or none. */
async function throughput(watched: boolean): Promise<number> {
  const file = `${dir}/offline.yaml`;
  await Deno.writeTextFile(file, config("offline", 0.04));
  const server = serveDev({ config: file, port: 0 });
  const abort = new AbortController();
  try {
    const began = performance.now();
    const watcher = watched
      ? countParts(`${server.url}/video/main.mjpg`, 0, Infinity, abort.signal)
      : undefined;
    await server.session.start({});
    await server.session.finished();
    const wall = (performance.now() - began) / 1000;
    const frames = server.session.metrics().sources.main.player.framesRead;
    await server.shutdown(); // ends the watcher's stream
    await watcher;
    return frames / wall;
  } finally {
    abort.abort();
    await server.shutdown();
  }
}

/** The JPEG encoder alone: ms per 1280x720 bgr24 frame, two frames in flight. */
async function jpegCost(frames = 100): Promise<{ ms: number; kb: number }> {
  const [width, height] = [1280, 720];
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i % 3840) >> 4) + ((i / 3840) >> 3);
  const encoder = new JpegEncoder({ width, height, format: "bgr24" });
  const frame = { data, width, height, format: "bgr24" as const, source: "main", time: 0 };
  try {
    await encoder.encode({ ...frame, index: -1 }); // ffmpeg started
    const began = performance.now();
    const pending: Promise<Uint8Array>[] = [];
    let bytes = 0;
    for (let i = 0; i < frames; i++) {
      pending.push(encoder.encode({ ...frame, index: i }));
      if (pending.length >= 2) bytes += (await pending.shift()!).length;
    }
    for (const p of pending) bytes += (await p).length;
    return { ms: (performance.now() - began) / frames, kb: bytes / frames / 1024 };
  } finally {
    await encoder.close();
  }
}

const loadBefore = loadAverage();
const jpeg = await jpegCost();
console.error("live view, 1 watcher ...");
const one = await liveView(1);
console.error(`  ${one.map((n) => n.toFixed(1))}; 3 watchers ...`);
const three = await liveView(3);
console.error(`  ${three.map((n) => n.toFixed(1))}`);
const without: number[] = [];
const withUi: number[] = [];
for (let r = 0; r < rounds; r++) {
  without.push(await throughput(false));
  withUi.push(await throughput(true));
  console.error(
    `round ${r + 1}: ${without.at(-1)!.toFixed(1)} vs ${withUi.at(-1)!.toFixed(1)} fps`,
  );
}
const loadAfter = loadAverage();
await Deno.remove(dir, { recursive: true });

const f = (n: number) => n.toFixed(1);
const ratio = median(withUi) / median(without);
const section = [
  SECTION,
  "",
  "```sh",
  "deno task bench:ui            # prints this section",
  "deno task bench:ui --write    # also rewrites it",
  "```",
  "",
  `Measured ${new Date().toISOString().slice(0, 10)} on:`,
  "",
  ...await machine(ffmpeg, [
    `- 1-minute load average before / after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`,
  ]),
  "",
  `Clip: testsrc2 1280x720 25 fps 30 s (H.264); the live view at its default 15 images/s cap per source, JPEG q 5 by one ffmpeg per watched source. Watchers are plain HTTP clients reading \`/video/main.mjpg\`, counted over ${seconds} s after 2 s of warm-up.`,
  "",
  `JPEG encoding alone (\`JpegEncoder\`, one ffmpeg, 1280x720 bgr24, two frames in flight): ${
    jpeg.ms.toFixed(1)
  } ms per frame of wall clock, ${jpeg.kb.toFixed(0)} KiB per image.`,
  "",
  "| live view, realtime run, motion every 0.5 s | images/s per watcher |",
  "| --- | ---: |",
  `| 1 watcher | ${f(one[0])} |`,
  `| 3 watchers | ${three.map(f).join(" / ")} |`,
  "",
  `| pipeline throughput, offline, motion on every frame (${rounds} interleaved rounds) | played fps (median) | rounds |`,
  "| --- | ---: | --- |",
  `| no watcher | ${f(median(without))} | ${without.map(f).join(", ")} |`,
  `| 1 watcher | ${f(median(withUi))} | ${withUi.map(f).join(", ")} |`,
  "",
  `Ratio watched / not watched: ${ratio.toFixed(2)} (target ≥ 0.9: ${
    ratio >= 0.9 ? "met" : "not met"
  }). Live view target ≥ 10 images/s: ${Math.min(one[0], ...three) >= 10 ? "met" : "not met"}.`,
  "",
].join("\n");
console.log(section);
if (values.write) await writeSection(SECTION, section);
