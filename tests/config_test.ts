/**
 * The YAML pipeline config (docs/contract.md §6): defaults, relative paths resolved against the
 * config's directory, and errors that name the key with the file and line.
 */
import assert from "node:assert/strict";
import { ConfigError, InputError, loadConfig, parseConfig } from "../mod.ts";
import { withTempDir, writeText } from "./helpers.ts";

/** Normalises `.` and `..` segments of a POSIX path (to compare resolved paths). */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "." || (part === "" && out.length > 0)) continue;
    if (part === ".." && out.length > 1) out.pop();
    else out.push(part);
  }
  return out.join("/") || "/";
}

Deno.test("config: defaults", () => {
  const config = parseConfig(
    "source: /videos/a.mp4\nalgos:\n  - plugin: /p/algo.ts\n",
    "/c/p.yaml",
  );
  assert.equal(config.sources[0].url, "/videos/a.mp4");
  assert.equal(config.mode, "offline");
  assert.equal(config.fps, undefined);
  assert.equal(config.position, 0);
  assert.deepEqual(config.producer, {});
  assert.deepEqual(config.sinks, []);
  assert.equal(config.record, undefined);
  assert.equal(config.algos.length, 1);
  const [algo] = config.algos;
  assert.equal(algo.plugin, "/p/algo.ts");
  assert.equal(algo.frameCount, 1);
  assert.equal(algo.frameStep, 0);
  assert.equal(algo.interval, 1);
  assert.equal(algo.name, undefined);
  assert.equal(algo.options, undefined);

  const empty = parseConfig("source: x.mp4\n", "/c/p.yaml");
  assert.deepEqual(empty.algos, []);
});

Deno.test("config: every key of the contract is read", () => {
  const text = `source: rtsp://cam.local/stream1
mode: realtime
fps: 7.5
position: 12.5
producer: { width: 640, height: 360, format: rgb24 }
algos:
  - plugin: https://example.com/plugins/yolo.ts
    name: things
    frameCount: 3
    frameStep: 5
    interval: 0.25
    options: { model: ./yolov8n.onnx, classes: [0, 2] }
    instances: 2
sinks:
  - { type: jsonl, path: /out/results.jsonl }
record: /out/annotated.mp4
`;
  const config = parseConfig(text, "/c/pipeline.yaml");
  assert.equal(config.sources[0].url, "rtsp://cam.local/stream1");
  assert.equal(config.mode, "realtime");
  assert.equal(config.fps, 7.5);
  assert.equal(config.position, 12.5);
  assert.deepEqual(config.producer, { width: 640, height: 360, format: "rgb24" });
  assert.deepEqual(config.algos, [{
    plugin: "https://example.com/plugins/yolo.ts",
    name: "things",
    frameCount: 3,
    frameStep: 5,
    interval: 0.25,
    options: { model: "/c/yolov8n.onnx", classes: [0, 2] }, // ./ options resolve against the config
    instances: 2,
  }]);
  assert.deepEqual(config.sinks, [{ type: "jsonl", path: "/out/results.jsonl" }]);
  assert.equal(config.record, "/out/annotated.mp4");
});

Deno.test("config: relative plugin, sink, source and record paths resolve against its directory", () => {
  const text = `source: clip.mp4
algos:
  - plugin: ./plugins/motion.ts
  - plugin: ../shared/algo.ts
  - plugin: /abs/algo.ts
sinks:
  - { type: jsonl, path: out/results.jsonl }
  - { type: jsonl, path: ./r2.jsonl }
record: ./annotated.mp4
`;
  const config = parseConfig(text, "/srv/pipelines/p.yaml");
  assert.equal(normalize(config.sources[0].url), "/srv/pipelines/clip.mp4");
  assert.deepEqual(config.algos.map((a) => normalize(a.plugin)), [
    "/srv/pipelines/plugins/motion.ts",
    "/srv/shared/algo.ts",
    "/abs/algo.ts",
  ]);
  assert.deepEqual(config.sinks.map((s) => normalize(s.type === "jsonl" ? s.path : "")), [
    "/srv/pipelines/out/results.jsonl",
    "/srv/pipelines/r2.jsonl",
  ]);
  assert.equal(normalize(String(config.record)), "/srv/pipelines/annotated.mp4");

  // URLs and devices are left alone
  for (
    const source of [
      "rtsp://10.0.0.2:554/live",
      "rtmp://host/app/key",
      "https://example.com/v.mp4",
      "udp://239.0.0.1:1234",
      "/dev/video0",
    ]
  ) {
    assert.equal(parseConfig(`source: ${source}\n`, "/srv/p.yaml").sources[0].url, source);
  }
});

Deno.test("config: loadConfig reads a file; relative paths resolve against its directory", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/sub`);
    const file = await writeText(
      `${dir}/sub/p.yaml`,
      "source: ./v.mp4\nalgos:\n  - plugin: a.ts\nsinks:\n  - { type: jsonl, path: r.jsonl }\n",
    );
    const config = await loadConfig(file);
    assert.equal(normalize(config.sources[0].url), `${dir}/sub/v.mp4`);
    assert.equal(normalize(config.algos[0].plugin), `${dir}/sub/a.ts`);
    const [sink] = config.sinks;
    assert.equal(sink.type === "jsonl" && normalize(sink.path), `${dir}/sub/r.jsonl`);
    await assert.rejects(
      () => loadConfig(`${dir}/missing.yaml`),
      (e: Error) => e instanceof ConfigError && e.message.includes("missing.yaml"),
    );
  });
});

/**
 * Asserts that parsing fails with a ConfigError naming `file:line` and every `words`
 * (`line` undefined: any line).
 */
function fails(text: string, line: number | undefined, ...words: string[]): string {
  let error: unknown;
  try {
    parseConfig(text, "/cfg/p.yaml");
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
  assert.ok(error instanceof InputError, "a config error is an input error");
  assert.equal((error as InputError).exitCode, 2);
  const message = (error as Error).message;
  assert.ok(!message.includes("\n"), `one line: ${message}`);
  const where = line === undefined ? /\/cfg\/p\.yaml:\d+/ : new RegExp(`/cfg/p\\.yaml:${line}\\b`);
  assert.match(message, where, `'${message}' names the file and line`);
  for (const word of words) assert.ok(message.includes(word), `'${message}' names ${word}`);
  return message;
}

Deno.test("config: unknown keys are errors naming the key, file and line", () => {
  fails("source: a.mp4\nfsp: 10\n", 2, "fsp");
  fails("source: a.mp4\nproducer:\n  width: 64\n  colour: bgr24\n", 4, "colour");
  fails(
    "source: a.mp4\nalgos:\n  - plugin: ./a.ts\n    frameCount: 2\n    framestep: 3\n",
    5,
    "framestep",
  );
  fails("source: a.mp4\nsinks:\n  - type: jsonl\n    path: r.jsonl\n    mode: append\n", 5, "mode");
});

Deno.test("config: wrong types and out-of-range values name the key and line", () => {
  fails("source: a.mp4\nfps: fast\n", 2, "fps");
  fails("source: a.mp4\nfps: 0\n", 2, "fps");
  fails("source: a.mp4\nposition: -1\n", 2, "position");
  fails("source: a.mp4\nmode: sometimes\n", 2, "mode");
  fails("source: [a.mp4]\n", 1, "source");
  fails("source: a.mp4\nproducer: { width: 1.5 }\n", 2, "width");
  fails("source: a.mp4\nproducer:\n  format: yuv444p\n", 3, "format");
  fails("source: a.mp4\nalgos: ./a.ts\n", 2, "algos");
  fails("source: a.mp4\nalgos:\n  - frameCount: 2\n", 3, "plugin");
  const algo = (line: string) => `source: a.mp4\nalgos:\n  - plugin: ./a.ts\n    ${line}\n`;
  fails(algo('frameCount: "two"'), 4, "frameCount");
  fails(algo("frameCount: 0"), 4, "frameCount");
  fails(algo("frameCount: 2.5"), 4, "frameCount");
  fails(algo("frameStep: -1"), 4, "frameStep");
  fails(algo("interval: 0"), 4, "interval");
  fails(algo("interval: -0.5"), 4, "interval");
  fails(algo("interval: soon"), 4, "interval");
  fails(algo("name: [x]"), 4, "name");
  fails(algo("instances: 0"), 4, "instances");
  fails(algo("instances: 1.5"), 4, "instances");
  fails(algo("instances: two"), 4, "instances");
  fails("source: a.mp4\nsinks:\n  - { type: csv, path: r.csv }\n", 3, "type");
  fails("source: a.mp4\nsinks:\n  - { type: jsonl }\n", 3, "path");
});

Deno.test("config: YAML syntax errors and non-mappings name the file and line", () => {
  // the parser may place an unclosed bracket at the end of the input
  fails("source: a.mp4\nalgos:\n  - plugin: [unclosed\n", undefined, "YAML");
  fails("source: a.mp4\nfps: 10\nfps: 12\n", 3);
  fails("- just\n- a list\n", 1, "mapping");
});

Deno.test("config: sources, with ids, per-source settings and paths against the config", () => {
  const config = parseConfig(
    `sources:
  - { id: gate, url: rtsp://127.0.0.1:8554/gate }
  - { id: lot, url: ./lot.mp4, fps: 5, position: 10, producer: { width: 640 } }
control: { listen: "127.0.0.1:8601", token: s3cret }
`,
    "/srv/p.yaml",
  );
  assert.deepEqual(config.sources, [
    { id: "gate", url: "rtsp://127.0.0.1:8554/gate" },
    { id: "lot", url: "/srv/lot.mp4", fps: 5, position: 10, producer: { width: 640 } },
  ]);
  assert.deepEqual(config.control, { listen: "127.0.0.1:8601", token: "s3cret" });
  assert.deepEqual(parseConfig("source: a.mp4\n", "/srv/p.yaml").sources, [
    { id: "main", url: "/srv/a.mp4" },
  ]);
  assert.deepEqual(parseConfig("algos: []\n", "/srv/p.yaml").sources, []);
});

Deno.test("config: duplicate or bad source ids, and bad source keys, name the line", () => {
  const two = (second: string) =>
    `mode: offline\nsources:\n  - { id: gate, url: a.mp4 }\n  - ${second}\n`;
  fails(two("{ id: gate, url: b.mp4 }"), 4, "duplicate", "gate");
  fails(two("{ id: 'lot 2', url: b.mp4 }"), 4, "[A-Za-z0-9_-]+");
  fails(two("{ url: b.mp4 }"), 4, "id");
  fails(two("{ id: lot, url: b.mp4, fsp: 3 }"), 4, "fsp");
  fails(two("{ id: lot, url: b.mp4, fps: 0 }"), 4, "fps");
  fails(two("{ id: lot }"), 4, "url");
  fails(two("{ id: lot, url: b.mp4, producer: { format: yuv } }"), 4, "format");
  fails("source: a.mp4\nsources:\n  - { id: lot, url: b.mp4 }\n", 2, "sources");
  fails("source: a.mp4\ncontrol: { listen: 8600, tokn: x }\n", 2, "tokn");
  fails("source: a.mp4\ncontrol: { listen: '0.0.0.0:8600' }\n", 2, "requires a token");
  fails("source: a.mp4\ncontrol: { listen: 'localhost:99999' }\n", 2, "port");
  fails("source: a.mp4\nringBudget: 1.5\n", 2, "ringBudget");
  assert.equal(parseConfig("ringBudget: 1048576\n", "/c/p.yaml").ringBudget, 1048576);
});

Deno.test("config: a config over the 1 MiB cap is refused before parsing, in one line", async () => {
  const text = "source: a.mp4\n" + `note: "${"x".repeat(1024 * 1024)}"\n`;
  assert.throws(() => parseConfig(text, "/tmp/big.yaml"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^\/tmp\/big\.yaml: the config is too large \(\d+\+? bytes; the limit/);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
  // multi-byte text: the cap counts UTF-8 bytes
  const wide = "source: a.mp4\n" + `note: "${"é".repeat(600 * 1024)}"\n`;
  assert.throws(() => parseConfig(wide, "w.yaml"), /w\.yaml: the config is too large/);
  await withTempDir(async (dir) => {
    const file = await writeText(`${dir}/big.yaml`, text);
    await assert.rejects(loadConfig(file), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /big\.yaml: the config is too large/);
      return true;
    });
  });
});

Deno.test("config: 20k option keys parse; a duplicate key is still an error with its line", () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `      k${i}: ${i}`);
  const text = `source: a.mp4\nalgos:\n  - plugin: p.ts\n    options:\n${keys.join("\n")}\n`;
  const config = parseConfig(text, "/tmp/p.yaml");
  const options = config.algos[0].options as Record<string, number>;
  assert.equal(Object.keys(options).length, 20_000);
  assert.equal(options.k19999, 19_999);
  const dup = `source: a.mp4\nalgos:\n  - plugin: p.ts\n    options:\n${keys.join("\n")}\n` +
    "      k7: 1\n";
  assert.throws(() => parseConfig(dup, "/tmp/p.yaml"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `/tmp/p.yaml:${20_005}: duplicate key 'k7'`);
    return true;
  });
  assert.throws(
    () => parseConfig("source: a.mp4\nfps: 2\nfps: 3\n", "q.yaml"),
    /q\.yaml:3: duplicate key 'fps'/,
  );
});
