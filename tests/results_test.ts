/**
 * Results checked where they are produced (docs/contract.md §2.2, §5.1): a result JSON cannot
 * encode (a BigInt, a circular object, a function) makes that run an error record, in a worker
 * and on the main thread, while every other record is kept and written; `undefined` is recorded
 * as `null`; an inline run that never settles gives up after its `timeoutMs`.
 */
import assert from "node:assert/strict";
import { InlineRunner, InlineTimeoutError } from "../src/algo/runner.ts";
import { Dispatcher } from "../src/run/dispatcher.ts";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { JsonlSink } from "../src/sinks/jsonl.ts";
import HardResult, { type HardResultOptions } from "./fixtures/hard_result.ts";
import { FIXTURES, makeTestsrc, ROOT, runCli, withTempDir, writeText } from "./helpers.ts";
import { readRecords, within } from "./live_helpers.ts";

type Kind = "worker" | "inline";

const WHY: Record<"bigint" | "circular" | "function", string> = {
  bigint: "result.n is a BigInt",
  circular: "result.self is circular (it contains itself)",
  function: "result.f is a function",
};

/** 2 s at 25 fps played at 10 fps, one run every 2 played frames: 10 runs. */
async function offline(
  clip: string,
  out: string,
  kind: Kind,
  options: HardResultOptions,
) {
  const dispatcher = new Dispatcher();
  dispatcher.addSink(await JsonlSink.open(out));
  const inference = new Inference(dispatcher, { pluginBase: ROOT, log: false });
  try {
    await inference.loadAlgo("tests/fixtures/hard_result.ts", {
      frameCount: 1,
      frameStep: 0,
      interval: 0.2,
      worker: kind === "worker",
      options,
    });
    const player = new Player(new FFmpegProducer({ width: 64, height: 48 }), clip, {});
    await within(60_000, "offline run", inference.start(player, { fps: 10, mode: "offline" }));
    return { kept: dispatcher.getResults("HardResult"), written: await readRecords(out) };
  } finally {
    await inference.dispose();
  }
}

for (const kind of ["worker", "inline"] as const) {
  for (const bad of ["bigint", "circular", "function"] as const) {
    Deno.test(`${kind}: a ${bad} result on the 5th run is an error record; the others are kept`, async () => {
      await withTempDir(async (dir) => {
        const clip = await makeTestsrc(`${dir}/clip.mp4`);
        const { kept, written } = await offline(clip, `${dir}/out.jsonl`, kind, { bad, at: 5 });
        assert.equal(written.length, 10, "every run has its line");
        assert.equal(kept.length, 10, "every run has its record");
        for (const [i, record] of written.entries()) {
          if (i === 4) {
            assert.equal(record.error, `HardResult: the result is not JSON: ${WHY[bad]}`);
            assert.equal("result" in record, false);
          } else {
            assert.deepEqual(record.result, { n: i + 1 });
          }
        }
        assert.equal(kept[4].error, written[4].error);
        assert.equal("result" in kept[4], false);
      });
    });
  }

  Deno.test(`${kind}: an undefined result is recorded as null, in the record itself`, async () => {
    await withTempDir(async (dir) => {
      const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
      const opts = { bad: "undefined", at: 2 } as const;
      const { kept, written } = await offline(clip, `${dir}/out.jsonl`, kind, opts);
      assert.equal(kept.length, 5);
      assert.equal(kept[1].result, null);
      assert.equal(kept[1].error, undefined);
      assert.equal(written[1].result, null);
      assert.deepEqual(kept[2].result, { n: 3 });
    });
  });
}

Deno.test("cli: a BigInt and a circular result are error records; the JSONL is complete, exit 0", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`);
    const config = await writeText(
      `${dir}/pipeline.yaml`,
      `source: ${clip}
producer: { width: 64, height: 48 }
algos:
  - plugin: ${FIXTURES}/hard_result.ts
    name: big
    frameCount: 1
    frameStep: 0
    interval: 0.2
    options: { bad: bigint, at: 5 }
  - plugin: ${FIXTURES}/hard_result.ts
    name: loop
    frameCount: 1
    frameStep: 0
    interval: 0.2
    options: { bad: circular, at: 3 }
`,
    );
    const out = await runCli(["run", config, "--out", `${dir}/out.jsonl`, "--fps", "10"]);
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stderr, /^\s{4}at /m, "no stack trace");
    const records = await readRecords(`${dir}/out.jsonl`);
    for (const [algo, at, why] of [["big", 5, WHY.bigint], ["loop", 3, WHY.circular]] as const) {
      const mine = records.filter((r) => r.algo === algo);
      assert.equal(mine.length, 10, `${algo}: every run has its line`);
      for (const [i, record] of mine.entries()) {
        if (i + 1 === at) assert.equal(record.error, `${algo}: the result is not JSON: ${why}`);
        else assert.deepEqual(record.result, { n: i + 1 });
      }
    }
  });
});

Deno.test("inline: a run that never settles rejects after timeoutMs; later runs work", async () => {
  const runner = new InlineRunner(new HardResult(), { timeoutMs: 200 });
  try {
    await runner.init({ bad: "hang", at: 2 });
    assert.deepEqual(await runner.run([]), { n: 1 });
    const hung = await within(
      20_000,
      "the hung run",
      runner.run([]).then(() => undefined, (e) => e),
    );
    assert.ok(hung instanceof InlineTimeoutError, `got ${hung}`);
    assert.match(hung.message, /^HardResult: run timed out after 200 ms/);
    assert.deepEqual(await runner.run([]), { n: 3 });
  } finally {
    await runner.dispose();
  }
});
