/**
 * Secondary algorithms on crops: a probe plugin runs on crops of the colour detector's boxes
 * and receives exactly the pixels of those boxes (grown by `pad`) of the frame the detector
 * ran on, offline and realtime.
 */
import assert from "node:assert/strict";
import {
  type AlgoRecord,
  cloneFrame,
  Dispatcher,
  FFmpegProducer,
  type Frame,
  Inference,
  Player,
} from "../mod.ts";
import { FIXTURES, ROOT, withTempDir } from "./helpers.ts";
import { makeSquaresClip, RGB } from "./fixtures/squares_clip.ts";
import { fnv1a } from "./fixtures/crop_probe.ts";

interface Probe {
  width: number;
  height: number;
  format: string;
  index: number;
  checksum: number;
  mean: number[];
  count: number;
}
interface Det {
  name: string;
  box: [number, number, number, number];
  track?: number;
  probe?: Probe;
}

/** The region the crop stage cuts for `box` grown by `pad`, computed here from scratch. */
function expectedCrop(frame: Frame, box: number[], pad: number): Uint8Array {
  const [bx1, by1, bx2, by2] = box;
  const px = (bx2 - bx1) * pad, py = (by2 - by1) * pad;
  const x1 = Math.max(0, Math.floor(bx1 - px)), y1 = Math.max(0, Math.floor(by1 - py));
  const x2 = Math.min(frame.width, Math.ceil(bx2 + px));
  const y2 = Math.min(frame.height, Math.ceil(by2 + py));
  const out: number[] = [];
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      for (let c = 0; c < 3; c++) out.push(frame.data[(y * frame.width + x) * 3 + c]);
    }
  }
  return Uint8Array.from(out);
}

for (const mode of ["offline", "realtime"] as const) {
  Deno.test(`crops (${mode}): a secondary plugin receives the pixels of the boxes`, async () => {
    await withTempDir(async (dir) => {
      const path = await makeSquaresClip(`${dir}/sq.mkv`, [
        { colour: "red", size: 30, x: "20+40*t", y: "20" },
        { colour: "lime", size: 24, x: "280-40*t", y: "90" },
        { colour: "blue", size: 30, x: "30+10*t", y: "160" },
      ], { seconds: 3 });
      const inference = new Inference(new Dispatcher(), { pluginBase: ROOT, log: false });
      const frames = new Map<number, Frame>();
      const records: AlgoRecord[] = [];
      const schedule = { frameCount: 1, frameStep: 0, interval: 0.1 };
      try {
        await inference.loadAlgo(`${FIXTURES}/colour_boxes.ts`, {
          ...schedule,
          name: "det",
          options: { colours: RGB },
          track: { minHits: 1 },
        });
        await inference.loadAlgo(`${FIXTURES}/crop_probe.ts`, {
          ...schedule,
          name: "probe",
          input: { from: "det", classes: ["red", "lime"], pad: 0.1, maxCrops: 4 },
        });
        inference.observe({
          everyFrame: true,
          onFrame: (f) => void frames.set(f.index, cloneFrame(f)),
          onRecord: (r) => void records.push(r),
        });
        const player = new Player(new FFmpegProducer({ format: "bgr24" }), path, { id: "main" });
        await inference.start(player, { mode });
      } finally {
        await inference.dispose();
      }
      const dets = records.filter((r) => r.algo === "det");
      assert.ok(dets.length >= 10, `${dets.length} det records`);
      let checked = 0;
      for (const r of dets) {
        for (const d of r.result as Det[]) {
          if (d.name === "blue") {
            assert.equal(d.probe, undefined, "blue is not a class the probe reads");
            continue;
          }
          const probe = d.probe!;
          assert.ok(probe, `frame ${r.frame}: ${d.name} has no probe result`);
          assert.equal(probe.count, 1);
          assert.equal(probe.index, r.frame);
          assert.equal(probe.format, "bgr24");
          const expected = expectedCrop(frames.get(r.frame)!, d.box, 0.1);
          assert.equal(probe.width * probe.height * 3, expected.length);
          assert.equal(probe.checksum, fnv1a(expected), `frame ${r.frame}: ${d.name}`);
          checked++;
        }
      }
      assert.ok(checked >= 20, `${checked} crops checked`);
      // the secondary's own records list its results by detection index and track
      const probes = records.filter((r) => r.algo === "probe");
      assert.equal(
        probes.length,
        dets.filter((r) => (r.result as Det[]).some((d) => d.probe)).length,
      );
      const first = probes[0].result as { index: number; track: number; result: Probe }[];
      assert.ok(first.every((p) => typeof p.track === "number" && p.result.count === 1));
    });
  });
}

Deno.test("crops: bad input keys are one-line errors", async () => {
  const inference = new Inference(new Dispatcher(), { pluginBase: ROOT, log: false });
  const schedule = { frameCount: 1, frameStep: 0, interval: 0.1 };
  try {
    await assert.rejects(
      inference.loadAlgo(`${FIXTURES}/crop_probe.ts`, { ...schedule, input: { from: "det" } }),
      /input.from: no algorithm named 'det'/,
    );
    await assert.rejects(
      inference.loadAlgo(`${FIXTURES}/crop_probe.ts`, {
        ...schedule,
        input: { from: "det", pad: -1 } as never,
      }),
      /input.pad/,
    );
  } finally {
    await inference.dispose();
  }
});
