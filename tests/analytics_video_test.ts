/**
 * End to end on generated video: squares of known colours move on known paths; a detector
 * plugin finds them by colour; the tracker and a line count exactly the scripted crossings,
 * offline and realtime. Realtime runs on two instances that finish out of order still reach
 * the tracker in frame order.
 */
import assert from "node:assert/strict";
import {
  type AlgoRecord,
  Dispatcher,
  FFmpegProducer,
  Inference,
  type Mode,
  Player,
  type RecordStage,
} from "../mod.ts";
import { FIXTURES, ROOT, withTempDir } from "./helpers.ts";
import { makeSquaresClip, RGB } from "./fixtures/squares_clip.ts";

const DETECTOR = `${FIXTURES}/colour_boxes.ts`;

/**
 * 6 s at 10 fps, 320 x 240: red drives right across x = 160 (at about 3.1 s), lime drives left
 * across it (about 3.4 s), blue stays left of it, yellow crosses right and comes back.
 */
function clip(dir: string): Promise<string> {
  return makeSquaresClip(`${dir}/squares.mkv`, [
    { colour: "red", size: 30, x: "20+40*t", y: "20" },
    { colour: "lime", size: 30, x: "280-40*t", y: "70" },
    { colour: "blue", size: 30, x: "30+10*t", y: "120" },
    { colour: "yellow", size: 30, x: "100+50*t-if(gt(t,3),100*(t-3),0)", y: "180" },
  ]);
}

interface Run {
  records: AlgoRecord[];
  /** The det records in the order the tracker stage saw them. */
  order: AlgoRecord[];
}

async function run(path: string, mode: Mode, detector: Record<string, unknown> = {}): Promise<Run> {
  const inference = new Inference(new Dispatcher(), { pluginBase: ROOT, log: false });
  const records: AlgoRecord[] = [];
  const order: AlgoRecord[] = [];
  const watch: RecordStage = {
    name: "watch",
    open: () => ({ record: (r) => (r.algo === "det" && order.push(r), r) }),
  };
  try {
    await inference.loadAlgo(DETECTOR, {
      name: "det",
      frameCount: 1,
      frameStep: 0,
      interval: 0.1,
      options: { colours: RGB, ...detector },
      track: { type: "bytetrack", maxAge: 1 },
      ...(detector.slowMs ? { instances: 2 } : {}),
    });
    inference.addAnalytics({
      type: "line",
      name: "gate",
      on: "det",
      points: [[160, 239], [160, 0]], // walking up: right of it is `in`
    });
    inference.addStage(watch);
    inference.observe({ onRecord: (r) => void records.push(r) });
    const player = new Player(new FFmpegProducer({ format: "bgr24" }), path, { id: "main" });
    await inference.start(player, { mode });
  } finally {
    await inference.dispose();
  }
  return { records, order };
}

const crossings = (records: AlgoRecord[]) =>
  records.filter((r) => r.algo === "gate" && (r.result as { event: string }).event === "cross")
    .map((r) => {
      const e = r.result as { class: string; direction: string; track: number };
      return `${e.class} ${e.direction}`;
    });

const finalCounts = (records: AlgoRecord[]) =>
  records.filter((r) => r.algo === "gate" && (r.result as { final?: boolean }).final)
    .map((r) => (r.result as { counts: unknown }).counts);

const EXPECTED = { red: { in: 1, out: 0 }, lime: { in: 0, out: 1 }, yellow: { in: 1, out: 1 } };

for (const mode of ["offline", "realtime"] as const) {
  Deno.test(`analytics (${mode}): tracker + line count exactly the scripted crossings`, async () => {
    await withTempDir(async (dir) => {
      const { records } = await run(await clip(dir), mode);
      assert.deepEqual(crossings(records).sort(), [
        "lime out",
        "red in",
        "yellow in",
        "yellow out",
      ]);
      assert.deepEqual(finalCounts(records), [EXPECTED]);
      // every square kept one track for the whole clip
      const tracks = new Map<string, Set<number>>();
      for (const r of records.filter((r) => r.algo === "det")) {
        for (const d of r.result as { name: string; track?: number }[]) {
          if (d.track === undefined) continue;
          if (!tracks.has(d.name)) tracks.set(d.name, new Set());
          tracks.get(d.name)!.add(d.track);
        }
      }
      assert.deepEqual([...tracks.values()].map((s) => s.size), [1, 1, 1, 1]);
    });
  });
}

Deno.test("analytics (offline): two runs give the same records", async () => {
  await withTempDir(async (dir) => {
    const path = await clip(dir);
    const a = await run(path, "offline");
    const b = await run(path, "offline");
    assert.deepEqual(a.records, b.records);
  });
});

Deno.test("analytics (realtime): runs that finish out of order reach the tracker in frame order", async () => {
  await withTempDir(async (dir) => {
    const { records, order } = await run(await clip(dir), "realtime", { slowMs: 150 });
    const frames = order.map((r) => r.frame);
    assert.ok(frames.length > 10, `only ${frames.length} runs`);
    assert.deepEqual(frames, [...frames].sort((a, b) => a - b), "tracker fed out of frame order");
    // the runs did finish out of order: a later frame's run finished before an earlier one's
    const done = order.map((r) => (r.result as { done: number }).done);
    assert.ok(done.some((t, i) => i > 0 && t < done[i - 1]), "no run finished out of order");
    assert.deepEqual(finalCounts(records), [EXPECTED]);
  });
});
