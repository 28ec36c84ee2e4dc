/**
 * {@link trackStage}: the record stage that tracks one algorithm's detections.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";
import {
  asDetection,
  classOf,
  detectionsOf,
  scoreOf,
  withDetections,
} from "../track/detections.ts";
import type { TrackOptions } from "../track/options.ts";
import { Tracker, type TrackInput } from "../track/tracker.ts";
import type { RecordStage } from "./stage.ts";

/**
 * A stage that adds `track` (a stable integer id, per source) to the detections of `algo`'s
 * records. Each source has its own tracker, fed in run order with the records' times. A
 * detection that belongs to no confirmed track keeps no `track` key.
 *
 * @example
 * ```ts
 * import { Inference } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * // the usual way: inference.loadAlgo("./det.ts", { ...schedule, track: { type: "bytetrack" } })
 * ```
 */
export function trackStage(algo: string, options: TrackOptions): RecordStage {
  new Tracker(options); // checks the options now
  return {
    name: `${algo}.track`,
    open: () => {
      const tracker = new Tracker(options);
      return {
        record(record: AlgoRecord): AlgoRecord {
          if (record.algo !== algo || record.error !== undefined) return record;
          const list = detectionsOf(record.result);
          if (!list) return record;
          const inputs: TrackInput[] = [];
          const at: number[] = [];
          list.forEach((item, i) => {
            const d = asDetection(item);
            if (!d) return;
            inputs.push({ box: d.box, score: scoreOf(d), cls: classOf(d) });
            at.push(i);
          });
          const ids = tracker.update(inputs, record.time);
          const tracked = list.slice();
          ids.forEach((id, k) => {
            if (id !== undefined) tracked[at[k]] = { ...(list[at[k]] as object), track: id };
          });
          return { ...record, result: withDetections(record.result, tracked) };
        },
      };
    },
  };
}
