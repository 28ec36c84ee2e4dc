/**
 * The traffic-count example with the real model (opt-in: STREAM_INFER_TEST_MODEL): tracks
 * persist (median car track at least 2 s) and the counts are the same across two runs.
 */
import assert from "node:assert/strict";
import type { AlgoRecord } from "../mod.ts";
import { CAR_CLIP, ROOT, runCli, withTempDir } from "./helpers.ts";

const MODEL = Deno.env.get("STREAM_INFER_TEST_MODEL") ?? "";
const CLIP = CAR_CLIP;
if (!MODEL) {
  console.log(
    "analytics_traffic_test: set STREAM_INFER_TEST_MODEL=/path/to/yolov8n_int8.onnx to run " +
      "examples/traffic_count.yaml on car-detection.mp4",
  );
}

/** Runs the example (its sink moved into `dir`); returns its records and the counts line. */
async function runExample(dir: string, name: string) {
  const config = (await Deno.readTextFile(`${ROOT}/examples/traffic_count.yaml`))
    .replaceAll("${CLIP:-../../shared/media/car-detection.mp4}", CLIP)
    .replaceAll("../traffic_count.jsonl", `${name}.jsonl`);
  assert.ok(config.includes(CLIP) && config.includes(`${name}.jsonl`), "the example changed shape");
  await Deno.writeTextFile(`${dir}/${name}.yaml`, config);
  const out = await runCli(["run", `${dir}/${name}.yaml`]);
  assert.equal(out.code, 0, out.stderr);
  const records = (await Deno.readTextFile(`${dir}/${name}.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line) as AlgoRecord);
  const line = out.stderr.split("\n").find((l) => l.startsWith("gate (main): "));
  return { records, line };
}

Deno.test({
  name: "traffic_count.yaml: car tracks last (median >= 2 s), counts stable across runs",
  ignore: !MODEL,
  async fn() {
    await withTempDir(async (dir) => {
      const a = await runExample(dir, "a");
      const b = await runExample(dir, "b");
      const spans = new Map<number, { first: number; last: number; name: string }>();
      for (const r of a.records.filter((r) => r.algo === "det")) {
        for (const d of r.result as { name: string; track?: number }[]) {
          if (d.track === undefined) continue;
          const s = spans.get(d.track);
          if (s) s.last = r.time;
          else spans.set(d.track, { first: r.time, last: r.time, name: d.name });
        }
      }
      const cars = [...spans.values()].filter((s) => s.name === "car").map((s) => s.last - s.first)
        .sort((x, y) => x - y);
      assert.ok(cars.length >= 3, `${cars.length} car tracks`);
      const median = cars.length % 2
        ? cars[(cars.length - 1) / 2]
        : (cars[cars.length / 2 - 1] + cars[cars.length / 2]) / 2;
      assert.ok(median >= 2, `median car track ${median.toFixed(2)} s (${cars.join(", ")})`);
      const events = (records: AlgoRecord[]) => records.filter((r) => r.algo === "gate");
      const crossed = events(a.records).filter((r) =>
        (r.result as { event: string }).event === "cross"
      );
      assert.ok(crossed.length >= 2, `${crossed.length} crossings`);
      assert.deepEqual(events(b.records), events(a.records));
      assert.ok(a.line, "no counts line on stderr");
      assert.equal(b.line, a.line);
      console.log(`  ${a.line}; median car track ${median.toFixed(2)} s`);
    });
  },
});
