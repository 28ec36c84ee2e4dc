// Offline inference in under 30 lines: every frame in order, the same result every run.
// deno run -A examples/offline.ts ../shared/media/car-detection.mp4
import { BaseAlgo, FFmpegProducer, type Frame, Inference, JsonlSink, Player } from "../mod.ts";

/** Mean brightness of the newest frame and its change over the frames received. */
class Brightness extends BaseAlgo<unknown, { mean: number; change: number }> {
  run(frames: Frame[]) {
    const means = frames.map(({ data }) => {
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum += data[i];
      return sum / data.length;
    });
    return { mean: +means.at(-1)!.toFixed(2), change: +(means.at(-1)! - means[0]).toFixed(2) };
  }
}

const source = Deno.args[0] ?? "../shared/media/car-detection.mp4";
const inference = new Inference();
inference.dispatcher.addSink(await JsonlSink.open("brightness.jsonl", { overwrite: true }));
// 3 frames one second apart (frameStep = fps), once a second.
await inference.loadAlgo(new Brightness(), { frameCount: 3, frameStep: 10, interval: 1 });
const player = new Player(new FFmpegProducer({ width: 320, format: "gray" }), source);
const summary = await inference.start(player, { fps: 10, position: 0, mode: "offline" });
for (const r of inference.dispatcher.getResults("Brightness")) console.log(r.time, r.result);
console.log(`${summary.frames} frames in ${summary.seconds.toFixed(2)} s -> brightness.jsonl`);
