/**
 * The worker sandbox's read grants from plugin options (docs/contract.md §2.5): a string in
 * `options` grants read access only when it names an existing file under the plugin base
 * directory (the config's directory, `pluginBase`) or under the working directory. Anything
 * else, `/etc/passwd` included, needs an explicit `permissions.read`.
 *
 * Needs `--unstable-worker-options` (as `deno task test` passes).
 */
import assert from "node:assert/strict";
import { FFmpegProducer, Inference, Player, PluginError } from "../mod.ts";
import { isWorkerSandboxAvailable } from "../src/worker/runner.ts";
import { FIXTURES, makeTestsrc, ROOT, withTempDir } from "./helpers.ts";

type Attempt = { ok: true; text: string } | { ok: false; error: string };

/** Loads sbx_reader.ts with `options` into an Inference with `pluginBase: base`; one run. */
async function readsOf(
  base: string,
  clip: string,
  options: Record<string, string>,
  permissions?: { read: string[] },
): Promise<Record<string, Attempt>> {
  const inference = new Inference(undefined, { pluginBase: base });
  try {
    await inference.loadAlgo(`${FIXTURES}/sbx_reader.ts`, {
      name: "reader",
      frameCount: 1,
      frameStep: 0,
      interval: 0.6, // 25 frames at 25 fps: one run, on frame 14
      options,
      ...(permissions ? { permissions } : {}),
    });
    await inference.start(new Player(new FFmpegProducer({ width: 16, height: 16 }), clip), {
      mode: "offline",
    });
  } finally {
    await inference.dispose();
  }
  const records = inference.dispatcher.getResults("reader");
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.equal(records[0].error, undefined, records[0].error);
  return records[0].result as Record<string, Attempt>;
}

function denied(attempt: Attempt | undefined, what: string): void {
  assert.ok(attempt, what);
  assert.equal(attempt.ok, false, `${what} was readable`);
  assert.match((attempt as { error: string }).error, /^NotCapable: Requires read access/, what);
}

Deno.test("sandbox: a string in options grants read only under the plugin base or the working directory", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  await withTempDir(async (base) => {
    await withTempDir(async (elsewhere) => {
      const clip = await makeTestsrc(`${elsewhere}/clip.mp4`, { seconds: 1 });
      await Deno.mkdir(`${base}/models`);
      await Deno.writeTextFile(`${base}/models/model.txt`, "weights");
      const outside = `${elsewhere}/outside.txt`;
      await Deno.writeTextFile(outside, "outside-secret");
      // a link under the base dir that points out of it grants nothing either
      await Deno.symlink(outside, `${base}/models/link.txt`);
      const passwd = await Deno.readTextFile("/etc/passwd");
      assert.ok(passwd.length > 0);
      const reads = await readsOf(base, clip, {
        model: `${base}/models/model.txt`,
        passwd: "/etc/passwd",
        outside,
        link: `${base}/models/link.txt`,
        dotdot: `${base}/models/../../${elsewhere.split("/").pop()}/outside.txt`,
      });
      assert.deepEqual(reads.model, { ok: true, text: "weights" });
      denied(reads.passwd, "/etc/passwd");
      denied(reads.outside, "a file outside the base and working directories");
      denied(reads.link, "a symlink out of the base directory");
      denied(reads.dotdot, "a ../ path out of the base directory");
      // a file under the working directory is granted too (the fixture, when the tests run
      // from the checkout, as `deno task test` does)
      const fixture = `${FIXTURES}/sbx_reader.ts`;
      if (fixture.startsWith(`${Deno.realPathSync(Deno.cwd())}/`)) {
        const here = await readsOf(base, clip, { fixture });
        assert.equal(here.fixture?.ok, true, JSON.stringify(here.fixture));
      }
      // an explicit permissions.read still grants a file anywhere
      const granted = await readsOf(base, clip, { outside }, { read: [outside] });
      assert.deepEqual(granted.outside, { ok: true, text: "outside-secret" });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The module graph obeys the grants
// ---------------------------------------------------------------------------------------------

/** Loads `plugin` (path or URL) in a worker with `permissions`; returns the load error, if any. */
async function loadError(
  plugin: string,
  permissions: { import?: string[] } = {},
  integrity?: string,
): Promise<string | undefined> {
  const inference = new Inference(undefined, { log: false });
  try {
    await inference.loadAlgo(plugin, {
      frameCount: 1,
      frameStep: 0,
      interval: 1,
      permissions,
      ...(integrity ? { integrity } : {}),
    });
    return undefined;
  } catch (e) {
    assert.ok(e instanceof PluginError, `expected a PluginError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    return e.message;
  } finally {
    await inference.dispose();
  }
}

/** The SRI pin of a text, computed here independently of src/plugin/integrity.ts. */
async function sha256(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}

const CLASS = "export default class { run() { return 1; } }\n";

Deno.test("sandbox: a local plugin may import only its own directory and stream-infer, and no ungranted host", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests.push(new URL(req.url).pathname);
    return new Response("export const dep = 1;", {
      headers: { "content-type": "application/typescript" },
    });
  });
  try {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/plug`);
      await Deno.writeTextFile(`${dir}/secret.json`, '{ "secret": "S3CRET-json" }');
      await Deno.writeTextFile(`${dir}/plug/data.json`, '{ "ok": true }');
      const write = async (name: string, head: string) => {
        await Deno.writeTextFile(`${dir}/plug/${name}`, head + CLASS);
        return `${dir}/plug/${name}`;
      };
      // allowed: a file of its own directory, stream-infer itself, node: built-ins
      const good = await write(
        "good.ts",
        'import data from "./data.json" with { type: "json" };\n' +
          `import { BaseAlgo } from "${ROOT}/mod.ts";\nimport "node:path";\n`,
      );
      assert.equal(await loadError(good), undefined);
      const cases: [string, string, RegExp][] = [
        [
          "json.ts",
          'import s from "../secret.json" with { type: "json" };\nconsole.log(s);\n',
          /it imports '\.\.\/secret\.json', a file outside the plugin's directory/,
        ],
        [
          "comment.ts",
          'export { default as s } from /* hidden */ "../secret.json" with { type: "json" };\n',
          /it imports '\.\.\/secret\.json', a file outside/,
        ],
        [
          "dynamic.ts",
          'export const f = () => import("../secret.json", { with: { type: "json" } });\n',
          /it imports '\.\.\/secret\.json', a file outside/,
        ],
        ["ts.ts", `import "${FIXTURES}/frame_info.ts";\n`, /frame_info\.ts', a file outside/],
        [
          "link.ts",
          'import s from "./link.json" with { type: "json" };\nconsole.log(s);\n',
          /it imports '\.\/link\.json', a file outside .*resolved: .*secret\.json/,
        ],
        [
          "host.ts",
          `import { dep } from "http://127.0.0.1:${server.addr.port}/dep.ts";\nconsole.log(dep);\n`,
          /it imports 'http:\/\/127\.0\.0\.1:\d+\/dep\.ts', from host 127\.0\.0\.1:\d+, which is not granted/,
        ],
        ["npm.ts", 'import "npm:left-pad@1.3.0";\n', /it imports 'npm:left-pad@1\.3\.0', a npm:/],
      ];
      await Deno.symlink(`${dir}/secret.json`, `${dir}/plug/link.json`);
      for (const [name, head, pattern] of cases) {
        const message = await loadError(await write(name, head));
        assert.ok(message !== undefined, `${name} loaded`);
        assert.match(message, new RegExp(`^refusing plugin .*${name.replace(".", "\\.")}: `));
        assert.match(message, pattern, name);
        assert.ok(!message.includes("S3CRET"), message);
      }
    });
    assert.deepEqual(requests, [], "an ungranted host was contacted");
  } finally {
    await server.shutdown();
  }
});

Deno.test("sandbox: a local plugin's granted remote imports are fetched once and leave deno.lock alone", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    requests.push(new URL(req.url).pathname);
    return new Response("export const dep = 41;\n", {
      headers: { "content-type": "application/typescript" },
    });
  });
  const lock = () => Deno.readTextFile(`${ROOT}/deno.lock`).catch(() => "");
  try {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/plug`);
      await Deno.writeTextFile(`${dir}/plug/data.json`, '{ "n": 1 }');
      await Deno.writeTextFile(
        `${dir}/plug/helper.ts`,
        `export { dep } from "http://127.0.0.1:${server.addr.port}/dep.ts";\n` +
          "export const here = import.meta.url;\n",
      );
      const plugin = `${dir}/plug/remote_dep.ts`;
      await Deno.writeTextFile(
        plugin,
        'import data from "./data.json" with { type: "json" };\n' +
          'import { dep, here } from "./helper.ts";\n' +
          "export default class { run() { return { sum: dep + data.n, here }; } }\n",
      );
      const before = await lock();
      const inference = new Inference(undefined, { log: false });
      try {
        await inference.loadAlgo(plugin, {
          frameCount: 1,
          frameStep: 0,
          interval: 1,
          permissions: { import: [`127.0.0.1:${server.addr.port}`] },
        });
        const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1, width: 32, height: 24 });
        await inference.start(new Player(new FFmpegProducer(), clip), { mode: "offline" });
        const results = inference.dispatcher.getResults("default").map((r) => r.result ?? r.error);
        assert.ok(results.length > 0, "no runs");
        // the inlined modules run as written: the remote export, the JSON, and the file URL
        assert.deepEqual(results[0], { sum: 42, here: `file://${dir}/plug/helper.ts` });
      } finally {
        await inference.dispose();
      }
      assert.deepEqual(requests, ["/dep.ts"], "the remote module is fetched exactly once");
      assert.equal(await lock(), before, "the plugin run wrote deno.lock");
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("sandbox: a remote plugin may import no local file and only its own origin or granted hosts", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  await withTempDir(async (dir) => {
    const secret = `${dir}/secret.json`;
    await Deno.writeTextFile(secret, '{ "secret": "S3CRET-json" }');
    const requests: string[] = [];
    let port = 0;
    const routes: Record<string, string> = {
      "/file.ts": `import s from "file://${secret}" with { type: "json" };\nconsole.log(s);\n`,
      "/other.ts": 'import { dep } from "http://localhost:PORT/dep.ts";\nconsole.log(dep);\n',
      "/deep.ts": 'import { dep } from "./deep_dep.ts";\nconsole.log(dep);\n',
      "/deep_dep.ts": 'export { dep } from "http://localhost:PORT/dep.ts";\n',
    };
    const bodyOf = (path: string) =>
      (path === "/dep.ts" ? "export const dep = 1;\n" : routes[path] + CLASS)
        .replaceAll("PORT", String(port));
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const path = new URL(req.url).pathname;
      requests.push(path);
      return new Response(bodyOf(path), {
        headers: { "content-type": "application/typescript" },
      });
    });
    port = server.addr.port;
    try {
      const base = `http://127.0.0.1:${port}`;
      const cases: [string, RegExp][] = [
        ["file.ts", /it imports 'file:\/\/.*secret\.json', a local file; a remote plugin may not/],
        ["other.ts", /it imports 'http:\/\/localhost:\d+\/dep\.ts', from host localhost:\d+/],
        ["deep.ts", /it imports 'http:\/\/localhost:\d+\/dep\.ts', from host localhost:\d+/],
      ];
      for (const [name, pattern] of cases) {
        const message = await loadError(`${base}/${name}`, {}, await sha256(bodyOf(`/${name}`)));
        assert.ok(message !== undefined, `${name} loaded`);
        assert.match(message, pattern, name);
        assert.ok(!message.includes("S3CRET"), message);
      }
      assert.ok(!requests.includes("/dep.ts"), "an ungranted host was contacted");
      // granted: the import loads. The graph is fetched once, checked, and handed to the
      // worker inlined: the worker fetches nothing again and the checkout's deno.lock is untouched
      const lock = () => Deno.readTextFile(`${ROOT}/deno.lock`).catch(() => "");
      const before = await lock();
      requests.length = 0;
      const granted = await loadError(
        `${base}/deep.ts`,
        { import: [`localhost:${port}`] },
        await sha256(bodyOf("/deep.ts")),
      );
      assert.equal(granted, undefined);
      assert.deepEqual(requests.sort(), ["/deep.ts", "/deep_dep.ts", "/dep.ts"]);
      assert.equal(await lock(), before, "the plugin run wrote deno.lock");
    } finally {
      await server.shutdown();
    }
  });
});
