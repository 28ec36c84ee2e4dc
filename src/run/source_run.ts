/**
 * {@link SourceRun}: one source's part of a run: its player, frame ring, schedule clocks and
 * state.
 *
 * @module
 */
import { type Frame, positionOf } from "../frame.ts";
import type { SourceState } from "../observe/metrics.ts";
import type { RunTiming } from "../observe/observer.ts";
import { Schedule } from "../schedule/schedule.ts";
import type { Player } from "../source/player.ts";
import { FrameRing } from "./ring.ts";
import type { AlgoRecord } from "../record.ts";
import type { AlgoPool } from "./algo_pool.ts";

/** Per-source play settings. */
export interface SourcePlay {
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds. */
  position?: number;
}

/** A record with how long its run took. */
export interface TimedRecord {
  /** The record. */
  record: AlgoRecord;
  /** Its timing. */
  timing: RunTiming;
}

/**
 * One source in a run. Created when the source is added; played by the run loop.
 */
export class SourceRun {
  /** The source's id. */
  readonly id: string;
  /** Its player. */
  readonly player: Player;
  /** Its fps and start position. */
  readonly play: SourcePlay;
  /** Ends this source alone (removal). */
  readonly abort: AbortController = new AbortController();
  /** Where it is in its life. */
  state: SourceState = "waiting";
  /** Why it failed or was lost. */
  error?: string;
  /** What it failed with. */
  failure?: unknown;
  /** Frames played. */
  frames = 0;
  /** When the newest frame arrived (performance.now()). */
  lastArrival = 0;
  /** The newest frames. */
  ring: FrameRing = new FrameRing(1);
  /** Settles when its loop has ended. */
  done: Promise<void> = Promise.resolve();
  /** The frame filter's effective fps, once known. */
  fps = 0;
  readonly #clocks = new Map<AlgoPool, Schedule>();

  /** Creates the source's part of a run. */
  constructor(player: Player, play: SourcePlay) {
    this.id = player.id;
    this.player = player;
    this.play = play;
  }

  /** This source's copy of an algorithm's schedule (realtime ticks keep their own clock). */
  clock(pool: AlgoPool): Schedule {
    let s = this.#clocks.get(pool);
    if (!s) this.#clocks.set(pool, s = new Schedule(pool.schedule));
    return s;
  }

  /** A record for a run whose newest frame is `newest`. */
  record(pool: AlgoPool, newest: Frame, outcome: { result: unknown } | { error: string }) {
    return {
      source: this.id,
      algo: pool.name,
      frame: newest.index,
      time: newest.time,
      position: positionOf(newest.time),
      ...outcome,
    };
  }
}
