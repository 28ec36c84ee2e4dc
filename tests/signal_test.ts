/**
 * SIGINT and SIGTERM on a realtime CLI run: the first signal stops gracefully (the run ends,
 * sinks are closed, exit 130 with a complete JSONL file and no ffmpeg left); a second one, more
 * than a second later, forces the exit.
 *
 * The CLI runs as a subprocess (`deno run -A src/cli/main.ts run CONFIG --mode realtime --out F`)
 * on a generated 20 s clip with plugins/motion.ts.
 */
import assert from "node:assert/strict";
import { CliRun, exists } from "./cli_run.ts";
import { makeTestsrc, ROOT, withTempDir } from "./helpers.ts";
import { assertNoFfmpegLeft, delay, readRecords, waitUntil } from "./live_helpers.ts";

async function setup(dir: string, plugin = `${ROOT}/plugins/motion.ts`): Promise<string> {
  const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 20, fps: 25 });
  const config = `${dir}/pipeline.yaml`;
  await Deno.writeTextFile(
    config,
    [
      `source: ${clip}`,
      "mode: offline",
      "producer: { width: 160, height: 120, format: rgb24 }",
      "algos:",
      `  - plugin: ${plugin}`,
      "    name: motion",
      "    frameCount: 2",
      "    frameStep: 1",
      "    interval: 0.2",
      "    options: { width: 80 }",
      "",
    ].join("\n"),
  );
  return config;
}

/** Starts the CLI and waits until the run is under way (a record in its output, or what
 * `playing` says, then ~2 s). */
async function startRun(
  dir: string,
  config: string,
  newSession = false,
  playing?: (run: CliRun) => boolean,
): Promise<CliRun> {
  const out = `${dir}/out.jsonl`;
  const run = new CliRun(["run", config, "--mode", "realtime", "--out", out], { newSession });
  try {
    // the JSONL sink creates its file before the plugins load (startup may compile); the
    // first record comes once the clip plays
    const recorded = async () => await exists(out) && (await readRecords(out)).length > 0;
    const exited = () => Promise.race([run.child.status, delay(0).then(() => undefined)]);
    await waitUntil(60_000, "the CLI run to start", async () => {
      if (playing ? playing(run) : await recorded()) return true;
      const status = await exited();
      if (status) throw new Error(`the CLI exited early (${status.code}): ${run.stderr}`);
      return false;
    });
    await delay(2000);
    assert.equal(await exited(), undefined, "the run is still playing the clip");
  } catch (e) {
    await run.kill();
    throw e;
  }
  return run;
}

/** What a graceful stop leaves: exit 130, complete JSONL with the §5 keys, nothing else. */
async function assertGracefulStop(dir: string, run: CliRun, signal: Deno.Signal): Promise<void> {
  const status = await run.finish(20_000, `the CLI to stop on ${signal}`);
  assert.equal(status.signal, null, `killed by ${status.signal}, not a graceful stop`);
  assert.ok([130, 0].includes(status.code), `exit ${status.code}: ${run.stderr}`);
  assert.equal(status.code, 130, "an interrupted run exits 130");
  // one line about stopping, then the summary: no error, no warning, no stack trace
  const messages = run.stderr.split("\n").filter((line) => line.startsWith("stream-infer:"));
  assert.deepEqual(messages, ["stream-infer: stopping (interrupt again to force)"], run.stderr);
  assert.match(run.stderr, /\(stopped\)/);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["clip.mp4", "out.jsonl", "pipeline.yaml"], "a stray file was left");
  const records = await readRecords(`${dir}/out.jsonl`);
  assert.ok(records.length > 0, "no records after ~2 s of play");
  for (const r of records) {
    assert.equal(r.algo, "motion");
    assert.ok("result" in r, `an error record: ${JSON.stringify(r)}`);
    assert.equal(r.position, Math.floor(r.time as number));
    // stopped early: the clip lasts 20 s
    assert.ok((r.time as number) < 19);
  }
  await assertNoFfmpegLeft(dir, 0);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`signal: ${signal} stops a realtime CLI run gracefully (exit 130, complete JSONL)`, async () => {
    await withTempDir(async (dir) => {
      const config = await setup(dir);
      const run = await startRun(dir, config);
      try {
        run.child.kill(signal);
        await assertGracefulStop(dir, run, signal);
      } finally {
        await run.kill();
      }
    });
  });
}

Deno.test("signal: SIGINT to the whole process group (a terminal's Ctrl-C) stops gracefully", async () => {
  await withTempDir(async (dir) => {
    const config = await setup(dir);
    const run = await startRun(dir, config, true);
    try {
      // ffmpeg gets the SIGINT too, and exits on its own
      Deno.kill(-run.child.pid, "SIGINT");
      await assertGracefulStop(dir, run, "SIGINT");
    } finally {
      await run.kill();
    }
  });
});

Deno.test("signal: a second SIGINT forces the exit while runs are still in flight", async () => {
  await withTempDir(async (dir) => {
    // a plugin whose runs outlast the stop grace (5 s), so the first stop is still waiting
    const slow = `${dir}/slow.ts`;
    await Deno.writeTextFile(
      slow,
      "export default class Slow {\n" +
        "  async run(frames) {\n" +
        "    console.error('a slow run began');\n" +
        "    await new Promise((resolve) => setTimeout(resolve, 30000));\n" +
        "    return frames.length;\n" +
        "  }\n" +
        "}\n",
    );
    const config = await setup(dir, slow);
    const run = await startRun(dir, config, false, (r) => /a slow run began/.test(r.stderr));
    try {
      run.child.kill("SIGINT");
      await waitUntil(10_000, "the first stop to begin", () => /stopping/.test(run.stderr));
      // signals within a second of the first are the same Ctrl-C delivered twice
      await delay(1500);
      run.child.kill("SIGINT");
      const status = await run.finish(10_000, "the CLI to exit on the second SIGINT");
      assert.equal(status.signal, null);
      assert.equal(status.code, 130);
      assert.match(run.stderr, /second interrupt/);
      // reading had stopped at the first signal; nothing of ffmpeg may outlive the CLI
      await assertNoFfmpegLeft(dir);
    } finally {
      await run.kill();
    }
  });
});
