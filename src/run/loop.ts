/**
 * The one run loop: plays a source and hands each frame to the mode's policy.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { type Frame, frameBytes } from "../frame.ts";
import type { SourceEvent, SourceEventType } from "../observe/observer.ts";
import { checkRingBudget } from "../schedule/budget.ts";
import { framesWanted, requiredSpan } from "../schedule/schedule.ts";
import type { PlayerEvent } from "../source/player.ts";
import { FFmpegProducer } from "../source/producer.ts";
import { effectiveFps } from "../source/sampling.ts";
import type { RunContext, RunPolicy } from "./policy.ts";
import { FrameRing } from "./ring.ts";
import type { SourceRun } from "./source_run.ts";

/** The source event each player event becomes. */
const PLAYER_EVENTS: Record<PlayerEvent["type"], SourceEventType> = {
  stall: "stall",
  ended: "interrupted",
  reconnect: "reconnect",
  "gave-up": "lost",
  warning: "warning",
};

/**
 * The one run loop: plays a source and hands each frame to the policy. A source that cannot
 * be opened or fails ends alone, as a source event; the others go on.
 *
 * The frames the source keeps (`span + lookahead + 1`) must fit in `ringBudget` bytes: this
 * is checked as soon as the frame size is known (from the probe for a file the
 * `FFmpegProducer` sizes, else at the first frame), before the ring fills; over it, the
 * source fails with an `InputError` naming the algorithms and their schedules.
 */
export async function playSource(
  run: RunContext,
  policy: RunPolicy,
  source: SourceRun,
  ringBudget: number,
): Promise<void> {
  const signal = AbortSignal.any([run.signal, source.abort.signal]);
  const event = (type: SourceEventType, message: string, extra?: Partial<SourceEvent>) =>
    run.observers.onSource({ source: source.id, type, message, ...extra });
  try {
    const probed = await source.player.open();
    const span = requiredSpan(run.pools.map((p) => p.schedule));
    const checkBudget = (width: number, height: number, format: Frame["format"]) =>
      checkRingBudget(run.pools, {
        frameBytes: frameBytes(width, height, format),
        frame: `${width}x${height} ${format}`,
        lookahead: policy.lookahead,
        budget: ringBudget,
        subject: `source '${source.id}'`,
      });
    const producer = source.player.producer;
    if (probed && producer instanceof FFmpegProducer) {
      const { width, height } = producer.outputSize(probed);
      checkBudget(width, height, producer.format); // before ffmpeg starts
    }
    source.ring = new FrameRing(span);
    const everyFrame = run.watchesFrames();
    source.fps = probed ? effectiveFps(probed.fps, source.play.fps) : 0;
    const filter = policy.skipUnread && source.fps && !everyFrame
      ? framesWanted(run.pools.map((p) => p.schedule), source.fps)
      : undefined;
    source.state = "playing";
    const frames = source.player.play({
      fps: source.play.fps,
      position: source.play.position,
      filter,
      buffers: span + policy.lookahead + 1,
      realtime: policy.paced,
      signal,
      pool: run.framePool,
      onEvent: (e) => event(PLAYER_EVENTS[e.type], e.message),
    });
    let opened = false;
    for await (const frame of frames) {
      if (signal.aborted) break; // frames already in the pipe when stop() came
      if (!opened) {
        checkBudget(frame.width, frame.height, frame.format); // a live source's size is known now
        opened = true;
        source.fps = source.player.fps;
        const info = source.player.info;
        const position = info?.live ? 0 : source.play.position ?? 0;
        event("opened", `${source.id}: playing at ${source.fps} fps`, {
          ...(info ? { opened: { info, position, fps: source.fps } } : {}),
        });
      }
      source.frames++;
      source.lastArrival = performance.now();
      source.ring.add(frame);
      await policy.frame(run, source, frame);
    }
    await policy.end(run, source);
    if (source.player.sourceLost) {
      source.state = "lost";
      source.error = "the live source could not be reconnected";
    } else if (source.abort.signal.aborted) source.state = "removed";
    else {
      source.state = "ended";
      event("ended", `${source.id}: ended after ${source.frames} frames`);
    }
  } catch (e) {
    await policy.end(run, source).catch(() => {});
    source.state = "failed";
    source.error = errorMessage(e);
    source.failure = e;
    event("failed", `${source.id}: ${source.error}`);
  }
}
