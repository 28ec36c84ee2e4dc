// Realtime inference: the source plays at its own pace, the motion plugin runs in a sandboxed
// worker and never holds up the player. Ctrl-C stops; the metrics are printed at the end.
// deno run -A --unstable-worker-options examples/realtime.ts ../shared/media/car-detection.mp4
import { FFmpegProducer, Inference, Player } from "../mod.ts";

const source = Deno.args[0] ?? "../shared/media/car-detection.mp4";
let lastPrint = -Infinity;
const inference = new Inference(undefined, {
  // Called for every played frame: print the latest motion result once a second.
  process: ({ frame, dispatcher }) => {
    if (performance.now() - lastPrint < 1000) return;
    lastPrint = performance.now();
    const latest = dispatcher.getResults("motion").at(-1);
    const shown = (latest?.error ?? JSON.stringify(latest?.result ?? null)).slice(0, 120);
    console.log(`${frame.time.toFixed(1)} s  frame ${frame.index}  motion: ${shown}`);
  },
});
// A plugin path runs in its own Web Worker, with no permissions but what its options name.
await inference.loadAlgo(new URL("../plugins/motion.ts", import.meta.url), {
  name: "motion",
  frameCount: 2,
  frameStep: 3,
  interval: 0.5,
  options: { width: 160, threshold: 25, minArea: 4 },
});

const stop = () => inference.stop();
Deno.addSignalListener("SIGINT", stop);
try {
  const player = new Player(new FFmpegProducer({ width: 640 }), source);
  const summary = await inference.start(player, { mode: "realtime" });
  const how = summary.stopped ? "stopped" : "done";
  console.log(`${how}: ${summary.frames} frames in ${summary.seconds.toFixed(1)} s`);
  console.log(JSON.stringify(inference.metrics(), null, 2));
} finally {
  Deno.removeSignalListener("SIGINT", stop);
  await inference.dispose();
}
