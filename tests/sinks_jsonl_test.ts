/**
 * The JSONL sink in a real CLI run (a subprocess, tests/cli_run.ts): a reader follows the file
 * while a realtime run goes (no `.partial`, nothing held until the end); after SIGKILL every
 * line but the last parses; an existing output is refused (exit 2, one line) and left as it
 * was. Overwrite, append and rotate are covered by src/sinks/jsonl_test.ts.
 */
import assert from "node:assert/strict";
import { CliRun, exists } from "./cli_run.ts";
import { assertOneLineError, makeTestsrc, ROOT, runCli, withTempDir } from "./helpers.ts";
import { assertNoFfmpegLeft, delay, waitUntil } from "./live_helpers.ts";

/** A 20 s clip and a realtime config running the motion plugin every 0.2 s. */
async function setup(dir: string): Promise<string> {
  const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 20, fps: 25 });
  const config = `${dir}/pipeline.yaml`;
  await Deno.writeTextFile(
    config,
    [
      `source: ${clip}`,
      "mode: realtime",
      "producer: { width: 160, height: 120, format: rgb24 }",
      "algos:",
      `  - plugin: ${ROOT}/plugins/motion.ts`,
      "    name: algo",
      "    interval: 0.2",
      "    options: { width: 80 }",
      "",
    ].join("\n"),
  );
  return config;
}

/** The complete lines of a file (JSON-parsed), and whether a partial last line follows. */
async function readLines(path: string): Promise<{ records: { time: number }[]; tail: string }> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines = text.split("\n");
  const tail = lines.pop()!;
  return { records: lines.map((line) => JSON.parse(line)), tail };
}

Deno.test("jsonl sink: a reader follows a live run; SIGKILL leaves every line but the last whole", async () => {
  await withTempDir(async (dir) => {
    const config = await setup(dir);
    const out = `${dir}/live.jsonl`;
    const run = new CliRun(["run", config, "--out", out]);
    try {
      // records appear while the run goes (the clip plays for 20 s)
      await waitUntil(60_000, "records in the file during the run", async () => {
        if (run.exited) throw new Error(`the CLI exited early: ${run.stderr}`);
        return (await readLines(out)).records.length >= 3;
      });
      const first = await readLines(out);
      await waitUntil(20_000, "more records while the run goes on", async () => {
        return (await readLines(out)).records.length > first.records.length;
      });
      assert.equal(run.exited, undefined, "the run ended: this was not a live read");
      // the records follow the clip's clock: none from the future of the play
      const seen = await readLines(out);
      assert.ok(seen.records.at(-1)!.time < 19, "the run reached the end already");
      run.child.kill("SIGKILL");
      await run.finish(20_000, "the killed CLI");
      const after = await Deno.readTextFile(out);
      const lines = after.split("\n");
      const last = lines.pop()!; // "" after a whole last line, else the partial one
      for (const [i, line] of lines.entries()) {
        assert.doesNotThrow(() => JSON.parse(line), `line ${i + 1} does not parse: ${line}`);
      }
      assert.ok(!last.includes("\n"));
      assert.ok(lines.length >= seen.records.length, "records seen before the kill were lost");
      assert.equal(await exists(`${out}.partial`), false);
    } finally {
      await run.kill();
      await assertNoFfmpegLeft(dir);
    }
  });
});

Deno.test("jsonl sink: an existing output is refused (exit 2, one line) and left as it was", async () => {
  await withTempDir(async (dir) => {
    const config = await setup(dir);
    const out = `${dir}/old.jsonl`;
    await Deno.writeTextFile(out, "keep me\n");
    const result = await runCli(["run", config, "--out", out]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(assertOneLineError(result), /old\.jsonl: the file exists; remove it, or set/);
    assert.equal(await Deno.readTextFile(out), "keep me\n");
    // a retry after a pause still sees no record appended
    await delay(100);
    assert.equal(await Deno.readTextFile(out), "keep me\n");
  });
});

Deno.test("config sinks: jsonl append and overwrite from YAML; stdout text lines; a webhook with ${TOKEN}", async () => {
  await withTempDir(async (dir) => {
    await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
    const posted: unknown[] = [];
    const auth: (string | null)[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      auth.push(req.headers.get("authorization"));
      posted.push(...await req.json());
      return new Response("ok");
    });
    try {
      const config = (sinks: string) =>
        Deno.writeTextFile(
          `${dir}/p.yaml`,
          `source: clip.mp4\nproducer: { width: 64, height: 48 }\nalgos:\n` +
            `  - plugin: ${ROOT}/plugins/motion.ts\n    name: algo\n    interval: 0.2\n` +
            `sinks:\n${sinks}`,
        );
      const hook = `http://127.0.0.1:${server.addr.port}/hook`;
      await config(
        "  - { type: jsonl, path: out/r.jsonl, append: true }\n  - { type: stdout }\n" +
          `  - { type: webhook, url: "${hook}", headers: { Authorization: "Bearer \${SINKS_TEST_TOKEN}" } }\n`,
      );
      await Deno.mkdir(`${dir}/out`);
      Deno.env.set("SINKS_TEST_TOKEN", "s3cret");
      const first = await runCli(["run", `${dir}/p.yaml`, "--quiet"]);
      assert.equal(first.code, 0, first.stderr);
      const once = (await Deno.readTextFile(`${dir}/out/r.jsonl`)).trimEnd().split("\n");
      assert.ok(once.length >= 2, once.join("\n"));
      // text lines on stdout: source, algo, frame, time, summary
      const text = first.stdout.trimEnd().split("\n");
      assert.equal(text.length, once.length);
      assert.match(text[0], /^main algo #\d+ \d+\.\d\ds /);
      assert.deepEqual(posted, once.map((l) => JSON.parse(l)), "the webhook got every record");
      assert.ok(auth.every((a) => a === "Bearer s3cret"), `headers: ${auth}`);
      const second = await runCli(["run", `${dir}/p.yaml`, "--quiet"]);
      assert.equal(second.code, 0, second.stderr);
      const twice = (await Deno.readTextFile(`${dir}/out/r.jsonl`)).trimEnd().split("\n");
      assert.deepEqual(twice, [...once, ...once], "append: the second run's records follow");
      await config("  - { type: jsonl, path: out/r.jsonl, overwrite: true }\n");
      const third = await runCli(["run", `${dir}/p.yaml`, "--quiet"]);
      assert.equal(third.code, 0, third.stderr);
      assert.deepEqual((await Deno.readTextFile(`${dir}/out/r.jsonl`)).trimEnd().split("\n"), once);
    } finally {
      Deno.env.delete("SINKS_TEST_TOKEN");
      await server.shutdown();
    }
  });
});
