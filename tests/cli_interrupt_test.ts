/**
 * Interrupts and runtime failures of a CLI run keep the records collected so far:
 *
 * - Ctrl-C under `deno task cli` (the signal reaches the CLI twice: from the terminal's process
 *   group and forwarded by the task runner) is one clean stop, with every record in the file;
 * - a second, later interrupt forces the exit, and what the sink held is still written;
 * - a killed ffmpeg fails the source, and the records so far stay in the file.
 */
import assert from "node:assert/strict";
import { CliRun, exists } from "./cli_run.ts";
import { makeTestsrc, ROOT, withTempDir } from "./helpers.ts";
import {
  assertNoFfmpegLeft,
  delay,
  ffmpegProcesses,
  readRecords,
  waitUntil,
} from "./live_helpers.ts";

/** A 20 s clip and a config running `plugin` every 0.2 s (`decoding` as the producer's). */
async function setup(
  dir: string,
  plugin: string,
  decoding: "auto" | "ffmpeg" = "auto",
): Promise<string> {
  const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 20, fps: 25 });
  const config = `${dir}/pipeline.yaml`;
  await Deno.writeTextFile(
    config,
    [
      `source: ${clip}`,
      "mode: realtime",
      `producer: { width: 160, height: 120, format: rgb24, decoding: ${decoding} }`,
      "algos:",
      `  - plugin: ${plugin}`,
      "    name: algo",
      "    interval: 0.2",
      "    options: { width: 80 }",
      "",
    ].join("\n"),
  );
  return config;
}

/** Waits until the run is under way: its output holds a record (and, when `ffmpeg` is asked
 * for, an ffmpeg decodes the clip). */
async function waitStarted(dir: string, run: CliRun, out: string, ffmpeg = false) {
  await waitUntil(60_000, "the CLI run to start", async () => {
    const status = await Promise.race([run.child.status, delay(0).then(() => undefined)]);
    if (status) throw new Error(`the CLI exited early (${status.code}): ${run.stderr}`);
    if (!await exists(out) || (await readRecords(out)).length === 0) return false;
    return !ffmpeg || (await ffmpegProcesses(dir)).length > 0;
  });
}

/** Total records the summary on stderr says the algorithm made (runs + errors). */
function summaryRecords(stderr: string): number {
  const m = stderr.match(/algo algo: (\d+) runs, (\d+) errors/);
  assert.ok(m, `no summary line for the algorithm:\n${stderr}`);
  return Number(m[1]) + Number(m[2]);
}

Deno.test("cli interrupt: Ctrl-C to the process group of `deno task cli` is one clean stop", async () => {
  await withTempDir(async (dir) => {
    const config = await setup(dir, `${ROOT}/plugins/motion.ts`);
    const out = `${dir}/out.jsonl`;
    const run = new CliRun(["run", config, "--out", out], { via: "task", newSession: true });
    try {
      await waitStarted(dir, run, out);
      await delay(1500);
      // what a terminal does on Ctrl-C: SIGINT to every process of the foreground group
      Deno.kill(-run.child.pid, "SIGINT");
      const status = await run.finish(30_000, "the CLI to stop");
      assert.equal(status.code, 130, run.stderr);
      assert.doesNotMatch(run.stderr, /second interrupt/);
      assert.match(run.stderr, /\(stopped\)/);
      const records = await readRecords(out);
      assert.ok(records.length > 0, "no records after ~1.5 s of play");
      assert.equal(records.length, summaryRecords(run.stderr), "records missing from the file");
      await assertNoFfmpegLeft(dir);
    } finally {
      await run.kill();
    }
  });
});

Deno.test("cli interrupt: a second, later interrupt forces the exit and still writes the sink's records", async () => {
  await withTempDir(async (dir) => {
    // five quick runs, then a run that outlasts the stop grace (5 s)
    const plugin = `${dir}/stall.ts`;
    await Deno.writeTextFile(
      plugin,
      "let calls = 0;\n" +
        "export default class Stall {\n" +
        "  async run(frames) {\n" +
        "    if (++calls === 6) console.error('sixth run stalls');\n" +
        "    if (calls > 5) await new Promise((resolve) => setTimeout(resolve, 60000));\n" +
        "    return calls;\n" +
        "  }\n" +
        "}\n",
    );
    const config = await setup(dir, plugin);
    const out = `${dir}/out.jsonl`;
    const run = new CliRun(["run", config, "--out", out]);
    try {
      await waitStarted(dir, run, out);
      // five records made, and a run in flight that outlasts the stop grace
      await waitUntil(30_000, "the sixth run", () => /sixth run stalls/.test(run.stderr));
      run.child.kill("SIGINT");
      await waitUntil(10_000, "the stop to begin", () => /stopping/.test(run.stderr));
      await delay(1500); // outside the window in which signals count as one
      run.child.kill("SIGINT");
      const status = await run.finish(20_000, "the CLI to exit on the second SIGINT");
      assert.equal(status.signal, null);
      assert.equal(status.code, 130, run.stderr);
      assert.match(run.stderr, /second interrupt/);
      const records = await readRecords(out);
      assert.deepEqual(records.map((r) => r.result), [1, 2, 3, 4, 5]);
      await assertNoFfmpegLeft(dir);
    } finally {
      await run.kill();
    }
  });
});

Deno.test("cli interrupt: a killed ffmpeg fails the run but keeps the records collected so far", async () => {
  await withTempDir(async (dir) => {
    const config = await setup(dir, `${ROOT}/plugins/motion.ts`, "ffmpeg");
    const out = `${dir}/out.jsonl`;
    const run = new CliRun(["run", config, "--out", out]);
    try {
      await waitStarted(dir, run, out, true);
      await delay(1500);
      for (const line of await ffmpegProcesses(`${dir}/clip.mp4`)) {
        Deno.kill(Number(line.trim().split(/\s+/)[0]), "SIGKILL");
      }
      const status = await run.finish(30_000, "the CLI to end after ffmpeg was killed");
      assert.equal(status.code, 1, run.stderr);
      assert.match(run.stderr, /ffmpeg failed/);
      const records = await readRecords(out);
      assert.ok(records.length > 0, "the records so far were thrown away");
      assert.equal(records.length, summaryRecords(run.stderr));
    } finally {
      await run.kill();
    }
  });
});
