/**
 * `deno task demo`: generates a short clip of moving shapes with ffmpeg, runs the motion
 * plugin on it offline, prints a per-second summary and writes results.jsonl.
 *
 * @module
 */
import {
  Dispatcher,
  FFmpegProducer,
  Inference,
  JsonlSink,
  locateFfmpeg,
  Player,
  runTool,
} from "../mod.ts";
import MotionDetector, { type MotionResult } from "../plugins/motion.ts";

const dir = await Deno.makeTempDir({ prefix: "stream-infer-demo-" });
const clip = `${dir}/shapes.mp4`;
try {
  // Two boxes on a dark background: one sweeps across, one bobs up and down, then both rest.
  const scene = "color=c=0x202020:s=640x360:r=25:d=8[bg];color=c=white:s=60x60:d=8[a];" +
    "color=c=orange:s=40x40:d=8[b];" +
    "[bg][a]overlay=x='if(lt(t,6),mod(t*150,580),300)':y=60:shortest=1[t];" +
    "[t][b]overlay=x=420:y='if(lt(t,6),200+80*sin(t*3),200)':shortest=1";
  const made = await runTool(locateFfmpeg(), [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    scene,
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    "-y",
    clip,
  ]);
  if (made.code !== 0) throw new Error(`could not generate the demo clip: ${made.stderr}`);

  const dispatcher = new Dispatcher({
    sinks: [await JsonlSink.open("results.jsonl", { overwrite: true })],
  });
  const inference = new Inference(dispatcher);
  await inference.loadAlgo(new MotionDetector(), {
    name: "motion",
    frameCount: 1,
    frameStep: 0,
    interval: 0.25,
    options: { width: 160, threshold: 25 },
  });
  const player = new Player(new FFmpegProducer({ width: 320, height: 180 }), clip);
  const summary = await inference.start(player, { fps: 12, mode: "offline" });

  console.log(
    `motion on a generated 8 s clip (${summary.fps} fps, ${summary.seconds.toFixed(2)} s):`,
  );
  const perSecond = new Map<number, { score: number; boxes: number }>();
  for (const record of dispatcher.getResults("motion")) {
    const result = record.result as MotionResult;
    const s = perSecond.get(record.position) ?? { score: 0, boxes: 0 };
    s.score = Math.max(s.score, result.score);
    s.boxes = Math.max(s.boxes, result.boxes.length);
    perSecond.set(record.position, s);
  }
  for (const [second, s] of perSecond) {
    const bar = "#".repeat(Math.round(s.score * 400));
    console.log(
      `  ${String(second).padStart(2)} s  moving regions: ${s.boxes}  score ${
        s.score.toFixed(3)
      } ${bar}`,
    );
  }
  console.log(`${dispatcher.getResults("motion").length} records written to results.jsonl`);
  await inference.dispose();
} finally {
  await Deno.remove(dir, { recursive: true });
}
