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
export * from "./src/algo.ts";
export * from "./src/config.ts";
export * from "./src/dispatcher.ts";
export * from "./src/errors.ts";
export * from "./src/ffmpeg.ts";
export * from "./src/frame.ts";
export * from "./src/inference.ts";
export * from "./src/player.ts";
export * from "./src/plugin.ts";
export * from "./src/probe.ts";
export * from "./src/producer.ts";
export * from "./src/runner.ts";
export * from "./src/sampling.ts";
export * from "./src/scheduler.ts";
export * from "./src/sink.ts";
export * from "./src/source.ts";
export * from "./src/metrics.ts";
export * from "./src/worker_runner.ts";
