/**
 * {@link RecordFlow}: the path every record of a run takes to the observers: a small
 * per-source reorder buffer (realtime runs may finish out of order), then the record stages
 * (tracking, crops, analytics) in order, then the observers.
 *
 * @module
 */
import { errorMessage, InputError } from "../errors.ts";
import type { Frame } from "../frame.ts";
import type { Observers } from "../observe/fanout.ts";
import type { RunTiming } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import type { RecordStage, SourceStage } from "./stage.ts";

/** The timing observers get with a record no run made (events, counts, emitted records). */
export const NO_TIMING: RunTiming = Object.freeze({ runMs: NaN, lagMs: NaN, instance: -1 });

/** Records a source may hold back while an earlier run is missing, per algorithm. */
export const REORDER_LIMIT = 32;

/** A record on its way, with the frame its run saw (when a stage needs it). */
interface Item {
  record: AlgoRecord;
  timing: RunTiming;
  frame?: Frame;
}

/** A source in the flow: its state lives as long as this object (a `SourceRun`). */
export interface SourceKey {
  /** The source's id. */
  readonly id: string;
}

/** Per source and algorithm: the next run to hand on, and later ones that finished first. */
interface Order {
  next: number;
  reserved: number;
  held: Map<number, Item>;
}

/** One source's state in the flow. */
interface SourceFlow {
  stages: SourceStage[];
  /** The last record handed on (where an error at the source's end is reported). */
  last?: AlgoRecord;
  order: Map<string, Order>;
  chain: Promise<unknown>;
}

/**
 * The records of one run, from the policies to the observers. Offline, records arrive in
 * frame order; realtime, each run takes a place in its source's order when it starts
 * ({@link RecordFlow.reserve}) and its record waits until the earlier ones are handed on (at
 * most {@link REORDER_LIMIT} held per source and algorithm; a run that never finishes is
 * given up then, or when the source ends). Stages see each source's records one at a time.
 *
 * @example
 * ```ts
 * import { Observers } from "../observe/fanout.ts";
 * import { RecordFlow } from "./flow.ts";
 * const observers = new Observers();
 * observers.add({ onRecord: (r) => console.log(r.frame) });
 * const flow = new RecordFlow(observers, []);
 * const key = { id: "main" };
 * const a = flow.reserve(key, "det"), b = flow.reserve(key, "det");
 * const rec = (frame: number) => ({ source: "main", algo: "det", frame, time: 0, position: 0 });
 * const timing = { runMs: 1, lagMs: 1, instance: 0 };
 * await flow.push(key, rec(2), timing, { seq: b }); // held
 * await flow.push(key, rec(1), timing, { seq: a }); // prints 1, then 2
 * ```
 */
export class RecordFlow {
  readonly #observers: Observers;
  readonly #stages: readonly RecordStage[];
  readonly #sources = new Map<SourceKey, SourceFlow>();
  readonly #ended = new WeakSet<SourceKey>();

  /** Creates the flow of one run. */
  constructor(observers: Observers, stages: readonly RecordStage[]) {
    this.#observers = observers;
    this.#stages = stages;
  }

  /** Whether a stage needs the frames of `algo`'s runs (realtime then copies them). */
  needsFrames(algo: string): boolean {
    return this.#stages.some((s) => s.needsFrames?.(algo) ?? false);
  }

  /** Realtime: a run of `algo` on a source starts; returns its place in the source's order. */
  reserve(source: SourceKey, algo: string): number {
    if (this.#ended.has(source)) return -1; // handed on as it comes
    return this.#order(this.#source(source), algo).reserved++;
  }

  /**
   * Hands on a run's record: through the stages to the observers (awaited). Returns the
   * records handed on by this call, the stages' additions included, in order (with `seq`, the
   * record may wait for earlier runs, and earlier held ones may come with it).
   */
  push(
    source: SourceKey,
    record: AlgoRecord,
    timing: RunTiming,
    options: { seq?: number; frame?: Frame } = {},
  ): Promise<AlgoRecord[]> {
    if (this.#ended.has(source)) {
      // a run that finished after its source ended (past the grace time): no order to keep
      return this.#observers.onRecord(record, timing).then(() => [record]);
    }
    const flow = this.#source(source);
    const item: Item = { record, timing, frame: options.frame };
    return this.#serial(flow, async () => {
      if (options.seq === undefined) return await this.#through(flow, [item]);
      const order = this.#order(flow, record.algo);
      // a run given up on (REORDER_LIMIT) that finished after all: late, handed on as it comes
      if (options.seq < order.next) return await this.#through(flow, [item]);
      order.held.set(options.seq, item);
      const ready: Item[] = [];
      for (;;) {
        const next = order.held.get(order.next);
        if (next) {
          order.held.delete(order.next++);
          ready.push(next);
        } else if (order.held.size > REORDER_LIMIT) {
          order.next = Math.min(...order.held.keys()); // a run that never came: go on without it
        } else break;
      }
      return await this.#through(flow, ready);
    });
  }

  /**
   * Adds a record that no run made (a clip announcement, an event) to the run's records: the
   * observers get it at once, with {@link NO_TIMING}.
   */
  async emit(record: AlgoRecord): Promise<void> {
    await this.#observers.onRecord(record, NO_TIMING);
  }

  /**
   * The source ended: hands on every held record in order, then lets each stage add its last
   * records. Returns what was handed on.
   */
  end(source: SourceKey): Promise<AlgoRecord[]> {
    const flow = this.#sources.get(source);
    this.#ended.add(source);
    if (!flow) return Promise.resolve([]);
    this.#sources.delete(source);
    return this.#serial(flow, async () => {
      const held: Item[] = [];
      for (const order of flow.order.values()) {
        for (const seq of [...order.held.keys()].sort((a, b) => a - b)) {
          held.push(order.held.get(seq)!);
        }
        order.held.clear();
      }
      const out = await this.#through(flow, held);
      for (let i = 0; i < flow.stages.length; i++) {
        const added: Item[] = [];
        try {
          await flow.stages[i].end?.((record, timing = NO_TIMING) =>
            void added.push({ record, timing })
          );
        } catch (e) {
          const last = held.at(-1)?.record ?? flow.last;
          if (last) {
            const { source, frame, time, position } = last;
            const error = `${this.#stages[i].name}: ${errorMessage(e)}`;
            added.push({
              record: { source, algo: this.#stages[i].name, frame, time, position, error },
              timing: NO_TIMING,
            });
          }
        }
        out.push(...await this.#through(flow, added, i + 1));
      }
      return out;
    });
  }

  /** Runs `job` after the source's earlier jobs. */
  #serial(flow: SourceFlow, job: () => Promise<AlgoRecord[]>): Promise<AlgoRecord[]> {
    const done = flow.chain.then(job);
    flow.chain = done.catch(() => {});
    return done;
  }

  #source(key: SourceKey): SourceFlow {
    let flow = this.#sources.get(key);
    if (!flow) {
      const stages = this.#stages.map((s) => s.open(key.id));
      flow = { stages, order: new Map(), chain: Promise.resolve() };
      this.#sources.set(key, flow);
    }
    return flow;
  }

  #order(flow: SourceFlow, algo: string): Order {
    let order = flow.order.get(algo);
    if (!order) flow.order.set(algo, order = { next: 0, reserved: 0, held: new Map() });
    return order;
  }

  /** Items through the stages from `first` on, then to the observers. */
  async #through(flow: SourceFlow, items: Item[], first = 0): Promise<AlgoRecord[]> {
    let current = items;
    for (let i = first; i < flow.stages.length && current.length; i++) {
      const stage = flow.stages[i];
      const name = this.#stages[i].name;
      const next: Item[] = [];
      for (const item of current) {
        const added: Item[] = [];
        const emit = (record: AlgoRecord, timing = NO_TIMING) =>
          void added.push({ record, timing });
        let record = item.record;
        try {
          record = await stage.record(item.record, emit, item.frame);
        } catch (e) {
          // a failing stage hands the record on unchanged, with an error record of its own
          const { source, frame, time, position } = item.record;
          const error = `${name}: ${errorMessage(e)}`;
          emit({ source, algo: name, frame, time, position, error });
        }
        next.push({ ...item, record }, ...added);
      }
      current = next;
    }
    const out: AlgoRecord[] = [];
    for (const { record, timing } of current) {
      out.push(record);
      flow.last = record;
      await this.#observers.onRecord(record, timing);
    }
    return out;
  }
}

/**
 * Throws an {@link InputError} unless `record` has the shape of an {@link AlgoRecord}: string
 * `source` and `algo`, finite `frame`, `time` and `position`, and a JSON-able `result` or a
 * string `error`.
 */
export function checkRecord(record: AlgoRecord): void {
  const r = record as unknown as Record<string, unknown>;
  const bad = !r || typeof r !== "object" || typeof r.source !== "string" ||
    typeof r.algo !== "string" || !Number.isFinite(r.frame) || !Number.isFinite(r.time) ||
    !Number.isFinite(r.position) || (r.error !== undefined && typeof r.error !== "string");
  if (bad) {
    throw new InputError(
      "a record needs string source and algo, numeric frame, time and position, and a result or a string error",
    );
  }
}
