/**
 * {@link analyticsStage}: the record stage of one `analytics:` entry (a line or a zone).
 *
 * @module
 */
import { positionOf } from "../frame.ts";
import type { AnalyticsOptions } from "../analytics/config.ts";
import { LineCounter } from "../analytics/line.ts";
import type { AnalyticsEvent, TrackedObject } from "../analytics/object.ts";
import { ZoneCounter } from "../analytics/zone.ts";
import type { AlgoRecord } from "../record.ts";
import { asDetection, classOf, detectionsOf } from "../track/detections.ts";
import type { RecordStage, StageEmit } from "./stage.ts";

/**
 * A stage that reads the tracked detections of `options.on` and adds event records named
 * `options.name`: `cross` (lines), `enter`, `leave` and `loiter` (zones), a `counts` record
 * every `report` seconds of the source's time, and a last `counts` record (`final: true`)
 * when the source ends. Each source counts on its own.
 *
 * @example
 * ```ts
 * import { Inference } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * // the usual way: inference.addAnalytics({ type: "line", name: "gate", on: "det", points: [[0, 300], [768, 300]] })
 * ```
 */
export function analyticsStage(options: AnalyticsOptions): RecordStage {
  return {
    name: options.name,
    open: (source) => {
      const counter = options.type === "line" ? new LineCounter(options) : new ZoneCounter(options);
      let nextReport: number | undefined;
      let last: AlgoRecord | undefined;
      const event = (at: AlgoRecord, result: AnalyticsEvent): AlgoRecord => ({
        source,
        algo: options.name,
        frame: at.frame,
        time: at.time,
        position: positionOf(at.time),
        result,
      });
      const counts = (final: boolean): AnalyticsEvent => ({
        event: "counts",
        ...(counter instanceof LineCounter ? { counts: counter.counts() } : counter.counts()),
        ...(final ? { final } : {}),
      });
      return {
        record(record: AlgoRecord, emit: StageEmit): AlgoRecord {
          if (record.algo !== options.on || record.error !== undefined) return record;
          const list = detectionsOf(record.result) ?? [];
          const objects: TrackedObject[] = [];
          for (const item of list) {
            const d = asDetection(item);
            if (d && typeof d.track === "number") {
              objects.push({ track: d.track, cls: classOf(d), box: d.box });
            }
          }
          for (const e of counter.update(objects, record.time)) emit(event(record, e));
          if (options.report !== undefined) {
            nextReport ??= record.time + options.report;
            if (record.time >= nextReport) {
              emit(event(record, counts(false)));
              while (nextReport <= record.time) nextReport += options.report;
            }
          }
          last = record;
          return record;
        },
        end(emit: StageEmit): void {
          if (!last) return;
          for (const e of counter.finish()) emit(event(last, e));
          emit(event(last, counts(true)));
        },
      };
    },
  };
}
