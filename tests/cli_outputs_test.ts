/**
 * Outputs and messages of the CLI: every output is checked and locked before anything runs (a
 * directory or a second writer is exit 2 with one line), `file:` URLs are percent-decoded,
 * error text carries no terminal colours, fps is rounded, and an oversized config is refused.
 */
import assert from "node:assert/strict";
import {
  assertOneLineError,
  cliArgs,
  ffmpeg,
  makeTestsrc,
  ROOT,
  runCli,
  withTempDir,
  writeText,
} from "./helpers.ts";
import { delay, readRecords, waitUntil, within } from "./live_helpers.ts";
import { exists } from "./cli_run.ts";

Deno.test("cli outputs: --out a directory is exit 2 before any source opens or plugin loads", async () => {
  await withTempDir(async (dir) => {
    // the source and the plugin are both missing: the output is what must be reported
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ${dir}/missing.mp4\nalgos:\n  - plugin: ${dir}/missing.ts\n`,
    );
    await Deno.mkdir(`${dir}/out`);
    const out = await runCli(["run", config, "--out", `${dir}/out`]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(assertOneLineError(out), /out: is a directory/);
    const missingDir = await runCli(["run", config, "--out", `${dir}/nowhere/r.jsonl`]);
    assert.equal(missingDir.code, 2, missingDir.stderr);
    assert.match(assertOneLineError(missingDir), /no such directory/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
    assert.equal(await exists(`${dir}/nowhere`), false);
  });
});

Deno.test("cli outputs: a second writer of the same output is refused (exit 2) and clobbers nothing", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 20, fps: 25 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ${clip}\nproducer: { width: 160, height: 120, format: rgb24 }\nalgos:\n` +
        `  - plugin: ${ROOT}/plugins/motion.ts\n    name: algo\n    interval: 0.2\n`,
    );
    const out = `${dir}/out.jsonl`;
    // realtime: the first run goes on while the second one tries
    const child = new Deno.Command(Deno.execPath(), {
      args: cliArgs(["run", config, "--mode", "realtime", "--out", out]),
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const stderr = new Response(child.stderr).text();
    try {
      await waitUntil(60_000, "the first run to start", async () => {
        return await exists(out) && (await readRecords(out)).length > 0;
      });
      await delay(1000);
      // offline: without the lock this run would finish in a few seconds and exit 0
      const second = await runCli(["run", config, "--mode", "offline", "--out", out]);
      assert.equal(second.code, 2, second.stderr);
      assert.match(assertOneLineError(second), /another run is writing/);
      child.kill("SIGINT");
      const status = await within(30_000, "the first run to stop", child.status);
      const text = await stderr;
      assert.equal(status.code, 130, text);
      const records = await readRecords(out);
      const m = text.match(/algo algo: (\d+) runs, (\d+) errors/);
      assert.ok(m, text);
      assert.equal(records.length, Number(m[1]) + Number(m[2]), "the first run's file was torn");
      for (const r of records) assert.ok((r.time as number) < 19, "records of a complete run");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await stderr;
    }
  });
});

Deno.test("cli outputs: file: URLs are percent-decoded, for sources and sinks", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/my clip.mp4`, { seconds: 1 });
    const url = (path: string) => `file://${path.split("/").map(encodeURIComponent).join("/")}`;
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ${url(clip)}\nproducer: { width: 64, height: 48 }\nalgos:\n` +
        `  - plugin: ${ROOT}/plugins/motion.ts\n    name: algo\n    interval: 0.5\n` +
        `sinks:\n  - type: jsonl\n    path: ${url(`${dir}/my results.jsonl`)}\n`,
    );
    const out = await runCli(["run", config, "--quiet"]);
    assert.equal(out.code, 0, out.stderr);
    assert.ok((await readRecords(`${dir}/my results.jsonl`)).length > 0);
    const probe = await runCli(["probe", url(clip)]);
    assert.equal(probe.code, 0, probe.stderr);
  });
});

Deno.test("cli outputs: probe rounds a rational fps", async () => {
  await withTempDir(async (dir) => {
    const clip = `${dir}/ntsc.mkv`;
    await ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=64x48:r=30000/1001:d=1",
      "-c:v",
      "ffv1",
      clip,
    ]);
    const out = await runCli(["probe", clip]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).fps, 29.97);
  });
});

Deno.test("cli outputs: errors are one line without terminal colours; bad paths are exit 2", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
    const plugin = await writeText(
      `${dir}/ansi.ts`,
      "export default class Ansi {\n" +
        '  init() { throw new Error("\\x1b[31mboom\\x1b[0m\\n  second line"); }\n' +
        "  run() { return 1; }\n" +
        "}\n",
    );
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ${clip}\nalgos:\n  - plugin: ${plugin}\n`,
    );
    const out = await runCli(["run", config]);
    assert.equal(out.code, 2, out.stderr);
    const line = assertOneLineError(out);
    assert.ok(!line.includes("\x1b"), `colour codes in: ${JSON.stringify(line)}`);
    assert.match(line, /boom/);

    await Deno.mkdir(`${dir}/conf.yaml`);
    const isDir = await runCli(["run", `${dir}/conf.yaml`]);
    assert.equal(isDir.code, 2, isDir.stderr);
    assert.match(assertOneLineError(isDir), /conf\.yaml: is a directory, not a config file$/);

    // over the 1 MiB cap: refused before it is parsed
    const big = await writeText(
      `${dir}/big.yaml`,
      `source: ${clip}\n` + "# padding\n".repeat(120_000),
    );
    const tooBig = await runCli(["run", big]);
    assert.equal(tooBig.code, 2, tooBig.stderr);
    assert.match(assertOneLineError(tooBig), /big\.yaml: the config is too large/);
  });
});
