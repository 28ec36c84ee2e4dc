/**
 * stream-infer: run your own image algorithms on video files, cameras and live streams.
 *
 * ffmpeg decodes any source into raw frames; each algorithm gets the frames it asks for
 * (`frameCount`, `frameStep`) as often as it asks (`interval`); results are collected per
 * algorithm and written to sinks.
 *
 * @example
 * ```ts
 * import { BaseAlgo, type Frame, FFmpegProducer, Inference, Player } from "@stream-infer/stream-infer";
 *
 * class Brightness extends BaseAlgo<unknown, number> {
 *   run([frame]: Frame[]): number {
 *     let sum = 0;
 *     for (let i = 0; i < frame.data.length; i++) sum += frame.data[i];
 *     return sum / frame.data.length;
 *   }
 * }
 *
 * const inference = new Inference();
 * await inference.loadAlgo(new Brightness(), { frameCount: 1, frameStep: 0, interval: 1 });
 * const player = new Player(new FFmpegProducer({ width: 640, height: 360 }), "video.mp4");
 * await inference.start(player, { fps: 10, mode: "offline" });
 * console.log(inference.dispatcher.getResults("Brightness"));
 * ```
 *
 * @module
 */
export * from "./src/algo/algo.ts";
export * from "./src/cli/config.ts";
export * from "./src/run/dispatcher.ts";
export * from "./src/errors.ts";
export * from "./src/source/ffmpeg.ts";
export * from "./src/frame.ts";
export * from "./src/run/inference.ts";
export * from "./src/source/player.ts";
export * from "./src/plugin/load.ts";
export * from "./src/source/probe.ts";
export * from "./src/source/producer.ts";
export * from "./src/algo/runner.ts";
export * from "./src/source/sampling.ts";
export * from "./src/schedule/schedule.ts";
export * from "./src/sinks/sink.ts";
export * from "./src/source/parse.ts";
export * from "./src/observe/metrics.ts";
export * from "./src/worker/runner.ts";
