/**
 * End to end with real ffmpeg: an Inference whose process hook is the annotator's. Frame
 * observers receive annotated copies, and the algorithm, which reads the two newest frames from
 * the ring, never sees a box pixel.
 */
import assert from "node:assert/strict";
import { BaseAlgo } from "../algo/algo.ts";
import type { Frame } from "../frame.ts";
import { Inference } from "../run/inference.ts";
import { FFmpegProducer } from "../source/producer.ts";
import { Player } from "../source/player.ts";
import { makeColorClip, withTempDir } from "../../tests/helpers.ts";
import { Annotator } from "./annotator.ts";

const GREY = 90;
const BOX = [8, 6, 40, 30] as const;

/** Detects a fixed box, and counts the pixels of its input frames that are not the clip's grey. */
class FixedBox extends BaseAlgo<unknown, { name: string; score: number; box: number[] }[]> {
  notGrey = 0;
  frames = 0;
  run(frames: Frame[]) {
    for (const f of frames) {
      this.frames++;
      for (const v of f.data) if (Math.abs(v - GREY) > 2) this.notGrey++;
    }
    return [{ name: "thing", score: 0.9, box: [...BOX] }];
  }
}

Deno.test("annotator process hook: observers get annotated copies, the algorithm never sees them", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeColorClip(`${dir}/grey.mp4`, [GREY, GREY, GREY], { seconds: 0.8 });
    const algo = new FixedBox();
    const inference = new Inference(undefined, {
      process: new Annotator({ overlay: false, thickness: 2 }).processHook(),
      log: false,
    });
    await inference.loadAlgo(algo, { frameCount: 2, frameStep: 1, interval: 0.04 });
    let observed = 0;
    let boxed = 0;
    inference.observe({
      everyFrame: true,
      onFrame(frame) {
        observed++;
        const at = frame.data[(BOX[1] * frame.width + BOX[0]) * 3];
        if (Math.abs(at - GREY) > 2) boxed++;
      },
    });
    await inference.start(new Player(new FFmpegProducer({ format: "bgr24" }), clip), {
      mode: "offline",
    });
    await inference.dispose();
    assert.equal(observed, 20);
    // The first frame has no record yet (the algorithm needs two frames); every later one has.
    assert.ok(boxed >= observed - 2, `${boxed} of ${observed} observed frames carry the box`);
    assert.ok(algo.frames >= 2 * (observed - 2), `${algo.frames} frames read`);
    assert.equal(algo.notGrey, 0, "the algorithm saw annotated pixels");
  });
});
