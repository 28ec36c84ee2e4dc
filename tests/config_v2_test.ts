/**
 * Config v2 end to end: one-line `FILE:LINE` errors with exit 2 from the CLI, `${VAR}`
 * interpolation, the one path rule (relative to the config file, `./` options included) with the
 * working directory elsewhere, `validate`, a missing permission naming the config key, `--help`
 * per command, `--log-level`, and played frames in the summary.
 */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../mod.ts";
import { CAR_CLIP, expectedPlayedFrames, ROOT, runCli, withTempDir, writeText } from "./helpers.ts";

const CLIP = CAR_CLIP;

const cli = runCli;

/** A plugin that imports nothing and returns its options (so a test sees resolved paths). */
const ECHO_PLUGIN = `export default class Echo {
  #options = {};
  init(options) { this.#options = options ?? {}; }
  run() { return this.#options; }
}
`;

Deno.test("config v2: each config error is one line FILE:LINE: key: message, exit 2", async () => {
  await withTempDir(async (dir) => {
    await writeText(`${dir}/echo.ts`, ECHO_PLUGIN);
    const cases: [string, string, number, RegExp][] = [
      [
        "unknown",
        `source: ${CLIP}\nalgos:\n  - plugin: ./echo.ts\n    framestep: 2\n`,
        4,
        /framestep: unknown key/,
      ],
      ["type", `source: ${CLIP}\nfps: fast\n`, 2, /fps: must be a number \(got string "fast"\)/],
      [
        "plugin",
        `source: ${CLIP}\nalgos:\n  - plugin: ./missing.ts\n`,
        3,
        /algos\[0\]\.plugin: .*missing\.ts/,
      ],
      ["yaml", `source: ${CLIP}\nalgos: [unclosed\n`, 0, /invalid YAML/],
      [
        "unset",
        `source: ${CLIP}\nalgos:\n  - plugin: ./echo.ts\n    options: { token: "\${SI_TEST_UNSET_VAR}" }\n`,
        4,
        /SI_TEST_UNSET_VAR is not set/,
      ],
    ];
    for (const [name, text, line, pattern] of cases) {
      const file = await writeText(`${dir}/${name}.yaml`, text);
      for (const command of ["run", "validate"]) {
        const out = await cli([command, file]);
        const lines = out.stderr.split("\n").filter((l) => l.trim() !== "");
        assert.equal(out.code, 2, `${name} ${command}: ${out.stderr}`);
        assert.equal(lines.length, 1, `${name} ${command}: one line:\n${out.stderr}`);
        const where = line ? `${file}:${line}: ` : `${file}:`;
        assert.ok(lines[0].startsWith(`stream-infer: ${where}`), `${name}: ${lines[0]}`);
        assert.match(lines[0], pattern);
      }
    }
  });
});

Deno.test("config v2: ${VAR} and ${VAR:-default} from the environment", () => {
  Deno.env.set("SI_TEST_HOST", "10.0.0.2");
  Deno.env.set("SI_TEST_FPS", "7.5");
  try {
    const config = parseConfig(
      "source: rtsp://${SI_TEST_HOST}:${SI_TEST_PORT:-554}/live\nfps: ${SI_TEST_FPS}\n" +
        "position: ${SI_TEST_POS:-3}\nalgos:\n  - plugin: motion\n" +
        "    options: { note: '$${literal}', quoted: '${SI_TEST_FPS}' }\n",
      "/srv/p.yaml",
    );
    assert.equal(config.sources[0].url, "rtsp://10.0.0.2:554/live");
    assert.equal(config.fps, 7.5); // an unquoted value that becomes a number is one
    assert.equal(config.position, 3);
    assert.deepEqual(config.algos[0].options, { note: "${literal}", quoted: "7.5" });
    assert.equal(config.algos[0].plugin, "motion"); // a built-in name stays a name
  } finally {
    Deno.env.delete("SI_TEST_HOST");
    Deno.env.delete("SI_TEST_FPS");
  }
  assert.throws(
    () => parseConfig("source: a.mp4\ncontrol:\n  token: ${SI_TEST_NOPE}\n", "/srv/p.yaml"),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /^\/srv\/p\.yaml:3: control\.token: environment variable SI_TEST_NOPE/,
      );
      return true;
    },
  );
});

Deno.test("config v2: relative source, plugin and ./ option paths follow the config, not the cwd", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/pipe/plugins`, { recursive: true });
    await Deno.mkdir(`${dir}/elsewhere`);
    await Deno.symlink(CLIP, `${dir}/pipe/clip.mp4`);
    await writeText(`${dir}/pipe/plugins/echo.ts`, ECHO_PLUGIN);
    await writeText(`${dir}/pipe/model.onnx`, "not a model");
    const config = await writeText(
      `${dir}/pipe/p.yaml`,
      "source: clip.mp4\nfps: 1\nposition: 27\nalgos:\n  - plugin: ./plugins/echo.ts\n" +
        "    name: echo\n    options: { model: ./model.onnx, up: ../x.bin, word: car }\n",
    );
    const out = await cli(["run", config, "--quiet"], { cwd: `${dir}/elsewhere` });
    assert.equal(out.code, 0, out.stderr);
    const record = JSON.parse(out.stdout.trim().split("\n")[0]);
    assert.deepEqual(record.result, {
      model: `${dir}/pipe/model.onnx`,
      up: `${dir}/x.bin`,
      word: "car",
    });
  });
});

Deno.test("config v2: validate passes good configs and the examples, and lists every problem", async () => {
  const examples = [...Deno.readDirSync(`${ROOT}/examples`)].map((e) => e.name)
    .filter((name) => name.endsWith(".yaml") && name !== "remote_plugin.yaml").sort();
  assert.ok(examples.includes("yolo.yaml") && examples.includes("pipeline.yaml"));
  for (const example of examples) {
    // yolo.yaml's model comes from STREAM_INFER_TEST_MODEL, with the shared model as default
    const out = await cli(["validate", `examples/${example}`]);
    assert.equal(out.code, 0, `${example}: ${out.stderr}`);
    assert.match(out.stdout, new RegExp(`examples/${example}: OK \\(`));
  }
  // remote_plugin.yaml is pinned to a CDN URL: validating it fetches it (no network here)
  await withTempDir(async (dir) => {
    const file = await writeText(
      `${dir}/bad.yaml`,
      "source: ./nope.mp4\nalgos:\n  - plugin: motion\n    options: { model: ./no.onnx }\n" +
        "sinks:\n  - { type: jsonl, path: ./no/dir/r.jsonl }\n",
    );
    const out = await cli(["validate", file]);
    assert.equal(out.code, 2);
    const lines = out.stderr.trim().split("\n");
    assert.equal(lines.length, 3, out.stderr);
    assert.match(lines[0], new RegExp(`^stream-infer: ${file}:1: source: no such file`));
    assert.match(lines[1], new RegExp(`${file}:4: algos\\[0\\]\\.options\\.model: no such file`));
    assert.match(lines[2], new RegExp(`${file}:6: sinks\\[0\\]\\.path: no such folder`));
  });
});

Deno.test("config v2: a third-party plugin lacking FFI is told the config key to add", async () => {
  await withTempDir(async (dir) => {
    await writeText(
      `${dir}/native.ts`,
      `export default class Native {
  init() { Deno.dlopen("${dir}/libnone.so", {}); }
  run() { return 0; }
}
`,
    );
    const file = await writeText(
      `${dir}/p.yaml`,
      `source: ${CLIP}\nalgos:\n  - plugin: ./native.ts\n    name: det\n`,
    );
    const out = await cli(["run", file]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(
      out.stderr,
      /^stream-infer: algo det: plugin needs FFI; add 'permissions: \{ ffi: true \}' to its entry$/m,
    );
    assert.ok(!out.stderr.includes("--allow-ffi"), out.stderr);
  });
});

Deno.test("cli: --help for each command, --log-level, played and decoded frames", async () => {
  for (const command of ["run", "validate", "probe", "plugin"]) {
    const out = await cli([command, "--help"]);
    assert.equal(out.code, 0);
    assert.match(out.stdout, new RegExp(`^Usage: stream-infer ${command}`));
  }
  const bad = await cli(["run", "examples/pipeline.yaml", "--log-level", "loud"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log-level must be one of error, warn, info, debug/);
  await withTempDir(async (dir) => {
    await writeText(`${dir}/echo.ts`, ECHO_PLUGIN);
    const file = await writeText(
      `${dir}/p.yaml`,
      `source: ${CLIP}\nfps: 10\nalgos:\n  - plugin: ./echo.ts\n    name: echo\n    interval: 1\n`,
    );
    const out = await cli(["run", file, "--out", `${dir}/r.jsonl`]);
    assert.equal(out.code, 0, out.stderr);
    // 30.16 s (377 frames at 12.5 fps) at 10 fps: 301 frames played, one a second decoded
    const info = JSON.parse((await cli(["probe", CLIP])).stdout);
    const played = expectedPlayedFrames(info.frameCount, info.fps, 10, 0).length;
    assert.equal(played, 301);
    assert.match(out.stderr, /done: 301 frames played \(30 decoded\) from 1 source/);
    assert.match(out.stderr, /source main: ended, 30 frames decoded of 301 played at 10 fps/);
    assert.match(out.stderr, /sink jsonl .*r\.jsonl: 30 written, 0 dropped, 0 errors/);
    // every frame decoded (a schedule that reads each one): the same count
    const every = await writeText(
      `${dir}/every.yaml`,
      (await Deno.readTextFile(file))
        .replace("interval: 1", "interval: 0.1"),
    );
    const all = await cli(["run", every, "--out", `${dir}/e.jsonl`]);
    assert.match(all.stderr, /done: 301 frames played \(301 decoded\)/);
    const quiet = await cli(["run", file, "--log-level", "error", "--out", `${dir}/q.jsonl`]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    const debug = await cli(["run", file, "--log-level", "debug", "--out", `${dir}/d.jsonl`]);
    assert.match(debug.stderr, /stream-infer: opened: main: playing at 10 fps/);
  });
});
