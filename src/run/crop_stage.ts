/**
 * {@link cropStage}: runs a secondary algorithm on crops of another algorithm's detections
 * (DeepStream's secondary inference) and joins its results to them.
 *
 * @module
 */
import type { CropInput } from "../analytics/config.ts";
import { errorMessage } from "../errors.ts";
import { channelsOf, type Frame } from "../frame.ts";
import type { FramePool } from "../frame_pool.ts";
import type { AlgoRecord } from "../record.ts";
import {
  asDetection,
  classOf,
  detectionsOf,
  scoreOf,
  withDetections,
} from "../track/detections.ts";
import { checkResult } from "../worker/result.ts";
import type { AlgoPool } from "./algo_pool.ts";
import type { RecordStage, StageEmit } from "./stage.ts";

/** Most crops per run when `maxCrops` is not given. */
export const DEFAULT_MAX_CROPS = 16;

/**
 * Cuts `box` (grown by `pad` of its size on each side, clipped to the frame, rounded out to
 * whole pixels) out of a packed frame into a new frame of the same format, index and time.
 *
 * @example
 * ```ts
 * import { cropFrame } from "./crop_stage.ts";
 * const frame = { data: new Uint8Array(4 * 4).map((_, i) => i), width: 4, height: 4, format: "gray" as const, index: 0, source: "main", time: 0 };
 * console.log(cropFrame(frame, [1, 1, 3, 2], 0).data); // Uint8Array(2) [ 5, 6 ]
 * ```
 */
export function cropFrame(frame: Frame, box: readonly number[], pad: number): Frame {
  if (frame.format !== "rgb24" && frame.format !== "bgr24" && frame.format !== "gray") {
    throw new Error(`crops need frames in bgr24, rgb24 or gray (got ${frame.format})`);
  }
  const [bx1, by1, bx2, by2] = box;
  const padX = (bx2 - bx1) * pad, padY = (by2 - by1) * pad;
  const x1 = Math.max(0, Math.min(frame.width - 1, Math.floor(bx1 - padX)));
  const y1 = Math.max(0, Math.min(frame.height - 1, Math.floor(by1 - padY)));
  const x2 = Math.max(x1 + 1, Math.min(frame.width, Math.ceil(bx2 + padX)));
  const y2 = Math.max(y1 + 1, Math.min(frame.height, Math.ceil(by2 + padY)));
  const c = channelsOf(frame.format);
  const width = x2 - x1, height = y2 - y1;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = ((y1 + y) * frame.width + x1) * c;
    data.set(frame.data.subarray(from, from + width * c), y * width * c);
  }
  return { ...frame, data, width, height };
}

/**
 * A stage that runs `pool` (loaded with `input`) on crops of the detections of
 * `input.from`, cut from the frame that algorithm ran on: one run per crop, at most
 * `maxCrops` per record, best scored first. Each cropped detection gets the result under the
 * secondary algorithm's name (`{ "error": ... }` when its run failed), and a record of the
 * secondary algorithm lists them: `[{ "index": 0, "track": 4, "result": ... }]`.
 *
 * @example
 * ```ts
 * import { Inference } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * // the usual way: inference.loadAlgo("./colour.ts", { ...schedule, input: { from: "det", classes: ["car"] } })
 * ```
 */
export function cropStage(pool: AlgoPool, input: CropInput, framePool: FramePool): RecordStage {
  const classes = input.classes ? new Set(input.classes) : undefined;
  const minScore = input.minScore ?? 0;
  const pad = input.pad ?? 0;
  const maxCrops = input.maxCrops ?? DEFAULT_MAX_CROPS;
  return {
    name: pool.name,
    needsFrames: (algo) => algo === input.from,
    open: () => ({
      async record(record: AlgoRecord, emit: StageEmit, frame?: Frame): Promise<AlgoRecord> {
        if (record.algo !== input.from || record.error !== undefined || !frame) return record;
        const list = detectionsOf(record.result);
        if (!list) return record;
        const chosen: number[] = [];
        list.forEach((item, i) => {
          const d = asDetection(item);
          if (d && scoreOf(d) >= minScore && (!classes || classes.has(classOf(d)))) chosen.push(i);
        });
        chosen.sort((a, b) =>
          scoreOf(asDetection(list[b])!) - scoreOf(asDetection(list[a])!) || a - b
        );
        chosen.length = Math.min(chosen.length, maxCrops);
        if (chosen.length === 0) return record;
        const joined = list.slice();
        const results: { index: number; track?: number; result?: unknown; error?: string }[] = [];
        const started = performance.now();
        let instance = 0;
        for (const i of chosen.sort((a, b) => a - b)) {
          const d = asDetection(list[i])!;
          let outcome: { result: unknown } | { error: string };
          try {
            const crop = cropFrame(frame, d.box, pad);
            const value = await pool.inTurn((k) => {
              instance = k;
              return pool.call(k, pool.prepare([crop], framePool), framePool);
            });
            outcome = { result: pool.inline ? checkResult(value, pool.name) : value ?? null };
          } catch (e) {
            outcome = { error: `${pool.name}: ${errorMessage(e)}` };
          }
          const value = "result" in outcome ? outcome.result : { error: outcome.error };
          joined[i] = { ...d, [pool.name]: value };
          results.push({
            index: i,
            ...(d.track !== undefined ? { track: d.track } : {}),
            ...outcome,
          });
        }
        const runMs = performance.now() - started;
        const { source, frame: index, time, position } = record;
        emit(
          { source, algo: pool.name, frame: index, time, position, result: results },
          { runMs, lagMs: runMs, instance },
        );
        return { ...record, result: withDetections(record.result, joined) };
      },
    }),
  };
}
