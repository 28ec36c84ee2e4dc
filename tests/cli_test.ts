/**
 * The CLI (docs/contract.md §7) as a subprocess: exit codes, one-line errors without stack traces,
 * no ffmpeg left behind, deterministic JSONL, flags and config-relative paths.
 */
import assert from "node:assert/strict";
import {
  assertNoFfmpeg,
  assertOneLineError,
  type CliOutput,
  expectedPlayedFrames,
  FIXTURES,
  makeNumberedClip,
  makeTestsrc,
  ROOT,
  runCli,
  withTempDir,
  writeText,
} from "./helpers.ts";

/** Runs `jobs` with at most `limit` at a time, keeping their order. */
async function pool<T>(jobs: (() => Promise<T>)[], limit = 4): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

function pipeline(source: string, algo: string, extra = ""): string {
  return `source: ${source}
producer: { width: 64, height: 48 }
algos:
  - plugin: ${algo}
    frameCount: 1
    frameStep: 0
    interval: 0.5
${extra}`;
}

Deno.test("cli: help, no command and unknown commands", async () => {
  const [help, helpWord, none, unknown, badFlag] = await pool([
    () => runCli(["--help"]),
    () => runCli(["help"]),
    () => runCli([]),
    () => runCli(["frobnicate"]),
    () => runCli(["run", "x.yaml", "--colour", "red"]),
  ]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage/);
  assert.match(help.stdout, /probe/);
  assert.equal(helpWord.code, 0);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage/);
  assert.equal(unknown.code, 2);
  assert.match(assertOneLineError(unknown), /frobnicate/);
  assert.equal(badFlag.code, 2);
  assert.match(assertOneLineError(badFlag), /colour/);
});

Deno.test("cli: probe prints the six fields and the pixel format as JSON and exits 0", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { width: 160, height: 120, seconds: 2 });
    const out = await runCli(["probe", clip]);
    assert.equal(out.code, 0, out.stderr);
    const info = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(info).sort(), [
      "duration",
      "fps",
      "frameCount",
      "height",
      "live",
      "pixelFormat",
      "width",
    ]);
    assert.deepEqual(info, {
      width: 160,
      height: 120,
      fps: 25,
      frameCount: 50,
      duration: 2,
      live: false,
      pixelFormat: "yuv420p",
    });

    const [missing, dash, none] = await pool([
      () => runCli(["probe", `${dir}/missing.mp4`]),
      () => runCli(["probe", "-nope.mp4"]),
      () => runCli(["probe"]),
    ]);
    for (const o of [missing, dash, none]) {
      assert.equal(o.code, 2, o.stderr);
      assertOneLineError(o);
      assert.equal(o.stdout, "");
    }
    assert.match(missing.stderr, /missing\.mp4/);
    assert.match(dash.stderr, /-nope\.mp4/);
    await assertNoFfmpeg(dir);
  });
});

Deno.test("cli: bad input gets a one-line error, exit 2 and no leftover ffmpeg", async (t) => {
  await withTempDir(async (dir) => {
    const good = await makeTestsrc(`${dir}/good.mp4`, { width: 64, height: 48, seconds: 1 });
    // a text file renamed .mp4
    await writeText(`${dir}/text.mp4`, "definitely not a video\n".repeat(50));
    // an mp4 without faststart (moov at the end), cut in half
    const whole = await makeTestsrc(`${dir}/whole.mp4`, {
      width: 160,
      height: 120,
      seconds: 3,
      faststart: false,
    });
    const bytes = await Deno.readFile(whole);
    await Deno.writeFile(`${dir}/truncated.mp4`, bytes.subarray(0, bytes.length >> 1));
    const plugin = `${FIXTURES}/frame_info.ts`;

    const cases: { name: string; config: string; args?: string[]; words: RegExp[] }[] = [
      {
        name: "a missing source file",
        config: pipeline(`${dir}/missing.mp4`, plugin),
        words: [/missing\.mp4/],
      },
      {
        name: "a text file renamed .mp4",
        config: pipeline(`${dir}/text.mp4`, plugin),
        words: [/text\.mp4/],
      },
      {
        name: "a truncated mp4",
        config: pipeline(`${dir}/truncated.mp4`, plugin),
        words: [/truncated\.mp4/],
      },
      {
        name: "a source starting with '-' in the config",
        config: pipeline("-i.mp4", plugin),
        words: [/-i\.mp4/],
      },
      {
        name: "a source starting with '-' on the command line",
        config: pipeline(good, plugin),
        args: ["--source=-y"],
        words: [/'-y'/],
      },
      {
        name: "frameCount 0",
        config: pipeline(good, plugin).replace("frameCount: 1", "frameCount: 0"),
        words: [/frameCount/, /p\.yaml:5\b/],
      },
      {
        name: "a negative frameStep",
        config: pipeline(good, plugin).replace("frameStep: 0", "frameStep: -2"),
        words: [/frameStep/, /p\.yaml:6\b/],
      },
      {
        name: "interval 0",
        config: pipeline(good, plugin).replace("interval: 0.5", "interval: 0"),
        words: [/interval/, /p\.yaml:7\b/],
      },
      {
        name: "an unknown YAML key",
        config: pipeline(good, plugin, "fsp: 10\n"),
        words: [/fsp/, /p\.yaml:8\b/],
      },
      {
        name: "an unknown key inside an algo",
        config: pipeline(good, plugin).replace("interval: 0.5", "interval: 0.5\n    intervall: 2"),
        words: [/intervall/, /p\.yaml:8\b/],
      },
      {
        name: "a wrong type",
        config: pipeline(good, plugin, "fps: fast\n"),
        words: [/fps/, /p\.yaml:8\b/],
      },
      {
        name: "a wrong type inside an algo",
        config: pipeline(good, plugin).replace("frameCount: 1", 'frameCount: "two"'),
        words: [/frameCount/, /p\.yaml:5\b/],
      },
      {
        name: "a plugin with no run",
        config: pipeline(good, `${FIXTURES}/no_run.ts`),
        words: [/\brun\b/, /no_run\.ts/],
      },
      {
        name: "a plugin with no default export",
        config: pipeline(good, `${FIXTURES}/no_default.ts`),
        words: [/default export/, /no_default\.ts/],
      },
      {
        name: "a default export that is not a class",
        config: pipeline(good, `${FIXTURES}/not_class.ts`),
        words: [/class/, /not_class\.ts/],
      },
      {
        name: "a missing plugin",
        config: pipeline(good, `${dir}/nowhere.ts`),
        words: [/nowhere\.ts/],
      },
      {
        // Deno's own coloured "Uncaught (in worker)" report must not leak through either
        name: "a plugin with a syntax error",
        config: pipeline(
          good,
          await writeText(`${dir}/syntax.ts`, "export default class {\n  run( {\n"),
        ),
        words: [/syntax\.ts/, /SyntaxError/],
      },
      {
        name: "a bad --fps",
        config: pipeline(good, plugin),
        args: ["--fps", "fast"],
        words: [/fps/],
      },
      {
        name: "a position past the end",
        config: pipeline(good, plugin),
        args: ["--position", "30"],
        words: [/position/],
      },
    ];
    const outputs: CliOutput[] = await pool(cases.map((c, i) => async () => {
      await Deno.mkdir(`${dir}/case${i}`);
      const config = await writeText(`${dir}/case${i}/p.yaml`, c.config);
      return runCli(["run", config, "--out", `${dir}/case${i}/out.jsonl`, ...(c.args ?? [])]);
    }));
    for (const [i, c] of cases.entries()) {
      await t.step(c.name, () => {
        const out = outputs[i];
        assert.equal(out.code, 2, `exit code; stderr: ${out.stderr}`);
        const line = assertOneLineError(out);
        for (const word of c.words) assert.match(line, word);
        assert.equal(out.stdout, "", "nothing on stdout");
        // no output file, not even a partial one
        const left = [...Deno.readDirSync(`${dir}/case${i}`)].map((e) => e.name);
        assert.deepEqual(left, ["p.yaml"]);
      });
    }
    await t.step("a missing config file", async () => {
      const out = await runCli(["run", `${dir}/none.yaml`]);
      assert.equal(out.code, 2);
      assert.match(assertOneLineError(out), /none\.yaml/);
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("cli: determinism -- two runs of the motion plugin give byte-identical JSONL", async () => {
  await withTempDir(async (dir) => {
    await makeTestsrc(`${dir}/src.mp4`, { width: 320, height: 240, seconds: 4 });
    const config = await writeText(
      `${dir}/motion.yaml`,
      `source: src.mp4
fps: 10
producer: { width: 160, height: 120, format: bgr24 }
algos:
  - plugin: ${ROOT}/plugins/motion.ts
    name: motion
    frameCount: 1
    frameStep: 0
    interval: 0.3
    options: { width: 80, threshold: 20, minArea: 2 }
  - plugin: ${ROOT}/plugins/motion.ts
    name: motion-pairs
    frameCount: 2
    frameStep: 4
    interval: 1
`,
    );
    const [a, b, stdout] = await pool([
      () => runCli(["run", config, "--out", `${dir}/a.jsonl`, "--quiet"]),
      () => runCli(["run", config, "--out", `${dir}/b.jsonl`]),
      () => runCli(["run", config, "--quiet"]), // no sink: records go to stdout
    ]);
    for (const out of [a, b, stdout]) assert.equal(out.code, 0, out.stderr);
    assert.equal(a.stdout, "");
    const first = await Deno.readFile(`${dir}/a.jsonl`);
    const second = await Deno.readFile(`${dir}/b.jsonl`);
    assert.ok(first.length > 0);
    assert.deepEqual(first, second);
    assert.equal(stdout.stdout, new TextDecoder().decode(first));
    const records = stdout.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    // 4 s at 10 fps = 40 frames: motion every 3rd frame (13 runs), pairs every 10th (4 runs)
    assert.equal(records.filter((r) => r.algo === "motion").length, 13);
    assert.equal(records.filter((r) => r.algo === "motion-pairs").length, 4);
    for (const r of records) {
      assert.deepEqual(Object.keys(r), ["source", "algo", "frame", "time", "position", "result"]);
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("cli: a throwing run is an error record and the run still succeeds", async () => {
  await withTempDir(async (dir) => {
    await makeTestsrc(`${dir}/src.mp4`, { width: 64, height: 48, seconds: 2 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: ./src.mp4\nalgos:\n  - plugin: ${FIXTURES}/flaky.ts\n    interval: 0.2\n`,
    );
    const out = await runCli(["run", config, "--out", `${dir}/out.jsonl`]);
    assert.equal(out.code, 0, out.stderr);
    const records = (await Deno.readTextFile(`${dir}/out.jsonl`)).trimEnd().split("\n").map((
      l,
    ) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.frame), [4, 9, 14, 19, 24, 29, 34, 39, 44, 49]);
    for (const [i, r] of records.entries()) {
      if (i % 2 === 1) {
        assert.deepEqual(Object.keys(r), ["source", "algo", "frame", "time", "position", "error"]);
        assert.match(r.error, new RegExp(`flaky failure at frame ${r.frame}`));
      } else {
        assert.deepEqual(r.result, { index: r.frame });
      }
    }
    assert.ok(!/^\s{4}at /m.test(out.stderr), "no stack trace");
    await assertNoFfmpeg(dir);
  });
});

Deno.test("cli: relative source, plugin and sink paths resolve against the config's directory", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/project/plugins`, { recursive: true });
    await Deno.mkdir(`${dir}/elsewhere`);
    await makeNumberedClip(`${dir}/project/clip.mkv`, { seconds: 2 });
    await Deno.copyFile(`${FIXTURES}/frame_info.ts`, `${dir}/project/plugins/info.ts`);
    await writeText(
      `${dir}/project/p.yaml`,
      `source: clip.mkv
producer: { format: gray }
algos:
  - plugin: ./plugins/info.ts
    interval: 1
sinks:
  - { type: jsonl, path: results.jsonl }
`,
    );
    // run from another directory, with a relative config path
    const out = await runCli(["run", "../project/p.yaml", "--quiet"], { cwd: `${dir}/elsewhere` });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual([...Deno.readDirSync(`${dir}/elsewhere`)], [], "nothing written to the cwd");
    const records = (await Deno.readTextFile(`${dir}/project/results.jsonl`)).trimEnd().split("\n")
      .map((l) => JSON.parse(l));
    // 50 frames, once a second at 25 fps: frames 24 and 49, source frame numbers painted in
    assert.deepEqual(records.map((r) => r.frame), [24, 49]);
    assert.deepEqual(records.map((r) => r.result.size), [[64, 48, "gray", 64 * 48], [
      64,
      48,
      "gray",
      64 * 48,
    ]]);
    await assertNoFfmpeg(dir);
  });
});

Deno.test("cli: --source, --fps, --position and --out override the config", async () => {
  await withTempDir(async (dir) => {
    await makeTestsrc(`${dir}/a.mp4`, { width: 64, height: 48, seconds: 1 });
    await makeTestsrc(`${dir}/b.mp4`, { width: 64, height: 48, seconds: 4 });
    const config = await writeText(
      `${dir}/p.yaml`,
      `source: a.mp4
algos:
  - plugin: ${FIXTURES}/frame_info.ts
    interval: 0.5
sinks:
  - { type: jsonl, path: config.jsonl }
`,
    );
    const out = await runCli([
      "run",
      config,
      "--source",
      `${dir}/b.mp4`,
      "--fps",
      "10",
      "--position",
      "1",
      "--out",
      `${dir}/extra.jsonl`,
      "--quiet",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const fromConfig = await Deno.readTextFile(`${dir}/config.jsonl`);
    assert.equal(await Deno.readTextFile(`${dir}/extra.jsonl`), fromConfig);
    const records = fromConfig.trimEnd().split("\n").map((l) => JSON.parse(l));
    // b.mp4 from 1 s at 10 fps: 30 frames, every 5th; times from 1 s on
    assert.deepEqual(records.map((r) => r.frame), [4, 9, 14, 19, 24, 29]);
    const played = expectedPlayedFrames(100, 25, 10, 1); // source frames 25, 28, 30, 33, ...
    const newest = [4, 9, 14, 19, 24, 29].map((k) => played[k]);
    assert.deepEqual(records.map((r) => Math.round(r.time * 25)), newest);
    assert.deepEqual(records.map((r) => r.position), newest.map((j) => Math.floor(j / 25)));
    await assertNoFfmpeg(dir);
  });
});
