/**
 * Plugin sources (local, file:, https:, loopback http:), integrity pins, the trust rule, the
 * distinct load errors, handing a verified plugin to a worker, `stream-infer plugin hash`, and
 * the config keys `integrity`, `trust` and `permissions`.
 *
 * Remote plugins are served by a Deno.serve on 127.0.0.1 started (and shut down) in each test.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../src/config/load.ts";
import { ConfigError, PluginError } from "../src/errors.ts";
import { fetchPlugin, loadPlugin, type LoadPluginOptions } from "../src/plugin/load.ts";
import {
  checkPluginUrl,
  hashPlugin,
  isIntegrity,
  isLoopbackHost,
  resolvePlugin,
} from "../src/plugin/integrity.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const ROOT = new URL("../", import.meta.url);
const QUIET: LoadPluginOptions = { trust: true, onWarning: () => {} };

function fixture(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, FIXTURES));
}

/** The SRI value, computed here independently of src/plugin/integrity.ts. */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}

type Route = string | Uint8Array | { status?: number; body?: string; headers?: HeadersInit };

interface TestServer {
  base: string;
  requests: string[];
}

/** Serves `routes` (path → body or response parts) on 127.0.0.1 while `fn` runs. */
async function withServer(
  routes: Record<string, Route>,
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const route = routes[path];
    if (route === undefined) return new Response("not found", { status: 404 });
    if (typeof route === "string" || route instanceof Uint8Array) {
      return new Response(route as BodyInit, {
        headers: { "content-type": "application/typescript; charset=utf-8" },
      });
    }
    return new Response(route.body ?? null, {
      status: route.status ?? 200,
      headers: route.headers,
    });
  });
  try {
    await fn({ base: `http://127.0.0.1:${server.addr.port}/`, requests });
  } finally {
    await server.shutdown();
  }
}

/** Asserts that `promise` rejects with a PluginError whose message matches; returns it. */
async function pluginError(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  let message = "";
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof PluginError, `expected a PluginError, got ${e}`);
    assert.match(e.message, pattern);
    message = e.message;
    return true;
  });
  return message;
}

Deno.test("remote: a pinned plugin over loopback http loads from its verified bytes and runs", async () => {
  const bytes = fixture("url_good.ts");
  const pin = await sha256(bytes);
  await withServer({ "/good.ts": bytes }, async ({ base }) => {
    const fetched = await fetchPlugin(`${base}good.ts`, { integrity: pin });
    assert.equal(fetched.integrity, pin);
    assert.equal(fetched.pinned, true);
    assert.equal(fetched.remote, true);
    assert.equal(fetched.sourceUrl, `${base}good.ts`);
    assert.equal(fetched.source, new TextDecoder().decode(bytes));
    assert.match(fetched.url, /^data:application\/typescript;base64,/);
    // Plain data, so it can be posted to a worker.
    assert.deepEqual(structuredClone(fetched), fetched);

    const Algo = await loadPlugin(`${base}good.ts`, undefined, { integrity: pin });
    const algo = new Algo();
    await algo.init?.({ offset: 1 });
    assert.deepEqual(await algo.run([{ index: 2 }, { index: 3 }] as never), { count: 2, sum: 6 });
    assert.equal(algo.name, "UrlGood");
  });
});

Deno.test("remote: a tampered body is refused with the expected and actual hashes, and never runs", async () => {
  const pin = await sha256(fixture("url_good.ts"));
  const tampered = `(globalThis as Record<string, unknown>).__tamperedRan = true;\n` +
    new TextDecoder().decode(fixture("url_good.ts"));
  const actual = await sha256(new TextEncoder().encode(tampered));
  await withServer({ "/good.ts": tampered }, async ({ base }) => {
    const message = await pluginError(
      loadPlugin(`${base}good.ts`, undefined, { integrity: pin }),
      /^integrity mismatch for plugin http:\/\/127\.0\.0\.1:\d+\/good\.ts: expected /,
    );
    assert.ok(message.includes(`expected ${pin}`), message);
    assert.ok(message.includes(`got ${actual}`), message);
    assert.match(message, /stream-infer plugin hash/);
    // Pinned + trust: the pin still wins.
    await pluginError(
      loadPlugin(`${base}good.ts`, undefined, { integrity: pin, trust: true }),
      /integrity mismatch/,
    );
  });
  assert.equal((globalThis as Record<string, unknown>).__tamperedRan, undefined);
});

Deno.test("remote: an unpinned plugin without trust is refused before it is fetched", async () => {
  await withServer({ "/good.ts": fixture("url_good.ts") }, async ({ base, requests }) => {
    const message = await pluginError(
      loadPlugin(`${base}good.ts`),
      /^refusing to load unpinned remote plugin http:\/\/127\.0\.0\.1:\d+\/good\.ts: /,
    );
    assert.match(message, /stream-infer plugin hash http:\/\/127\.0\.0\.1:\d+\/good\.ts/);
    assert.match(message, /trust: true/);
    await pluginError(loadPlugin(`${base}good.ts`, undefined, { trust: false }), /unpinned/);
    assert.deepEqual(requests, []);
  });
});

Deno.test("remote: an unpinned plugin with trust loads, with a warning naming the pin", async () => {
  const bytes = fixture("url_good.ts");
  const pin = await sha256(bytes);
  await withServer({ "/good.ts": bytes }, async ({ base }) => {
    const warnings: string[] = [];
    const Algo = await loadPlugin(`${base}good.ts`, undefined, {
      trust: true,
      onWarning: (m) => warnings.push(m),
    });
    assert.deepEqual(await new Algo().run([{ index: 5 }] as never), { count: 1, sum: 5 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /not pinned/);
    assert.ok(warnings[0].includes(`integrity: ${pin}`), warnings[0]);

    // Without onWarning, the warning goes to console.warn.
    const original = console.warn;
    const logged: unknown[][] = [];
    console.warn = (...args: unknown[]) => logged.push(args);
    try {
      const fetched = await fetchPlugin(`${base}good.ts`, { trust: true });
      assert.equal(fetched.pinned, false);
      assert.equal(fetched.integrity, pin);
    } finally {
      console.warn = original;
    }
    assert.equal(logged.length, 1);
    assert.match(String(logged[0][0]), /not pinned/);
  });
});

Deno.test("remote: HTTP 404 is 'plugin not found', other statuses 'cannot fetch'", async () => {
  await withServer({ "/boom.ts": { status: 500, body: "oops" } }, async ({ base }) => {
    await pluginError(
      loadPlugin(`${base}missing.ts`, undefined, QUIET),
      /^plugin not found: http:\/\/127\.0\.0\.1:\d+\/missing\.ts \(HTTP 404 Not Found from /,
    );
    await pluginError(
      loadPlugin(`${base}boom.ts`, undefined, QUIET),
      /^cannot fetch plugin http:\/\/127\.0\.0\.1:\d+\/boom\.ts: HTTP 500/,
    );
  });
});

Deno.test("remote: a refused connection is a network error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await pluginError(
    loadPlugin(`http://127.0.0.1:${port}/good.ts`, undefined, QUIET),
    new RegExp(`^network error fetching plugin http://127\\.0\\.0\\.1:${port}/good\\.ts: `),
  );
  await pluginError(hashPlugin(`http://127.0.0.1:${port}/good.ts`), /^network error/);
});

Deno.test("remote: syntax error, no default export, not a class, no run, top-level throw: each its own message", async () => {
  const routes: Record<string, Route> = {
    "/syntax.ts":
      "export default class Broken {\n  run(frames: unknown[]) {\n    return [;\n  }\n}\n",
    "/no_default.ts": fixture("url_no_default.ts"),
    "/not_class.ts": fixture("url_not_class.ts"),
    "/no_run.ts": fixture("url_no_run.ts"),
    "/throws.ts": 'throw new Error("boom at load time");\nexport default class {\n  run() {}\n}\n',
  };
  await withServer(routes, async ({ base }) => {
    const messages = [
      await pluginError(
        loadPlugin(`${base}syntax.ts`, undefined, QUIET),
        /^syntax error in plugin http:\/\/127\.0\.0\.1:\d+\/syntax\.ts: .+ \(at http:\/\/127\.0\.0\.1:\d+\/syntax\.ts:3:\d+\)$/,
      ),
      await pluginError(
        loadPlugin(`${base}no_default.ts`, undefined, QUIET),
        /no_default\.ts: the plugin has no default export \(it exports Forgotten; add 'export default'\)$/,
      ),
      await pluginError(
        loadPlugin(`${base}not_class.ts`, undefined, QUIET),
        /not_class\.ts: the default export must be a class, got object$/,
      ),
      await pluginError(
        loadPlugin(`${base}no_run.ts`, undefined, QUIET),
        /no_run\.ts: the default export class has no run\(frames\) method$/,
      ),
      await pluginError(
        loadPlugin(`${base}throws.ts`, undefined, QUIET),
        /^plugin http:\/\/127\.0\.0\.1:\d+\/throws\.ts threw while loading: boom at load time$/,
      ),
    ];
    for (const message of messages) {
      assert.ok(!message.includes("data:"), `the data: URL leaked into: ${message}`);
      assert.ok(!message.includes("\x1b["), `ANSI codes in: ${message}`);
    }
  });
});

Deno.test("source rule: http to a non-loopback host is refused without any network traffic", async () => {
  const original = globalThis.fetch;
  const fetched: string[] = [];
  globalThis.fetch = (input: string | URL | Request) => {
    fetched.push(String(input));
    return Promise.reject(new Error("no network in this test"));
  };
  try {
    const rule =
      /^refusing plugin http:\/\/example\.invalid\/x\.ts: http: is only allowed for loopback hosts/;
    await pluginError(loadPlugin("http://example.invalid/x.ts", undefined, QUIET), rule);
    await pluginError(
      loadPlugin("http://example.invalid/x.ts", undefined, {
        integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
      }),
      rule,
    );
    await pluginError(loadPlugin("http://example.invalid/x.ts"), rule);
    await pluginError(hashPlugin("http://example.invalid/x.ts"), rule);
    await pluginError(
      loadPlugin("ftp://example.invalid/x.ts", undefined, QUIET),
      /^unsupported plugin source ftp:/,
    );
    await pluginError(
      loadPlugin("data:application/typescript,export default 1", undefined, QUIET),
      /^unsupported plugin source data:/,
    );
  } finally {
    globalThis.fetch = original;
  }
  assert.deepEqual(fetched, []);
});

Deno.test("source rule: a redirect to a non-loopback http URL is refused before following it", async () => {
  await withServer({
    "/redirect.ts": { status: 302, headers: { location: "http://example.invalid/x.ts" } },
    "/hop.ts": { status: 301, headers: { location: "/good.ts" } },
    "/good.ts": fixture("url_good.ts"),
  }, async ({ base }) => {
    await pluginError(
      loadPlugin(`${base}redirect.ts`, undefined, QUIET),
      /^refusing plugin http:\/\/127\.0\.0\.1:\d+\/redirect\.ts \(redirected to http:\/\/example\.invalid\/x\.ts\): http: is only allowed/,
    );
    const fetched = await fetchPlugin(`${base}hop.ts`, QUIET);
    assert.equal(fetched.sourceUrl, `${base}good.ts`);
  });
});

Deno.test("source rule: a redirect to a file: URL is refused without reading the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stream_infer_redirect_" });
  try {
    const secret = `${dir}/secret.txt`;
    const content = "root:SECRET-7f3a9c:0:0:do not print me";
    await Deno.writeTextFile(secret, `${content}\n`);
    await withServer({
      "/to_file.ts": { status: 302, headers: { location: `file://${secret}` } },
      "/hop.ts": { status: 302, headers: { location: "/to_file.ts" } },
    }, async ({ base }) => {
      for (const spec of [`${base}to_file.ts`, `${base}hop.ts`]) {
        const message = await pluginError(
          loadPlugin(spec, undefined, QUIET),
          /^refusing plugin http:\/\/127\.0\.0\.1:\d+\/(to_file|hop)\.ts: it redirects to file:\/\/\/.*secret\.txt; a remote plugin may only redirect to https: or loopback http: URLs$/,
        );
        assert.ok(!message.includes("\n"), `one line: ${message}`);
        assert.ok(!message.includes("SECRET"), `the file's content leaked: ${message}`);
        // hashing reads the bytes and hashes them: it must not get as far as reading the file
        const hashed = await pluginError(
          hashPlugin(spec),
          /^refusing plugin .*: it redirects to file:/,
        );
        assert.ok(!hashed.includes("SECRET"));
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("source rule: loopback hosts and URL resolution", () => {
  for (const host of ["localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3", "[::1]"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (
    const host of [
      "example.com",
      "127.0.0.1.example.com",
      "128.0.0.1",
      "0.0.0.0",
      "[::2]",
      "10.0.0.1",
    ]
  ) {
    assert.equal(isLoopbackHost(host), false, host);
  }
  assert.equal(new URL("http://[::1]:8000/a.ts").hostname, "[::1]");
  checkPluginUrl(new URL("http://[::1]:8000/a.ts"), "a");
  checkPluginUrl(new URL("http://localhost/a.ts"), "a");
  checkPluginUrl(new URL("https://cdn.example.com/a.ts"), "a");
  assert.throws(() => checkPluginUrl(new URL("http://10.0.0.1/a.ts"), "a"), PluginError);
  assert.equal(resolvePlugin("./motion.ts", "/srv/app").href, "file:///srv/app/motion.ts");
  assert.equal(resolvePlugin("motion.ts", "/srv/app/").href, "file:///srv/app/motion.ts");
  assert.equal(resolvePlugin("https://cdn.example.com/m.ts").href, "https://cdn.example.com/m.ts");
  assert.equal(resolvePlugin("jsr:@scope/algo").protocol, "jsr:");
});

Deno.test("local: a pin is checked against the file; mismatch, missing file and syntax errors are distinct", async () => {
  const bytes = fixture("url_good.ts");
  const pin = await sha256(bytes);
  const fetched = await fetchPlugin("url_good.ts", { base: FIXTURES, integrity: pin });
  assert.equal(fetched.url, new URL("url_good.ts", FIXTURES).href);
  assert.equal(fetched.remote, false);
  assert.equal(fetched.pinned, true);
  const Algo = await loadPlugin("./url_good.ts", FIXTURES, { integrity: pin });
  assert.deepEqual(await new Algo().run([] as never), { count: 0, sum: 0 });
  // Local plugins need neither a pin nor trust.
  await loadPlugin("./url_good.ts", FIXTURES);

  const wrong = await sha256(new TextEncoder().encode("something else"));
  const message = await pluginError(
    loadPlugin("./url_good.ts", FIXTURES, { integrity: wrong }),
    /^integrity mismatch for plugin \.\/url_good\.ts: /,
  );
  assert.ok(message.includes(`expected ${wrong}, got ${pin}`), message);
  await pluginError(
    loadPlugin("./url_good.ts", FIXTURES, { integrity: "sha256-abc" }),
    /^invalid integrity for plugin \.\/url_good\.ts: expected sha256-<base64> \(got 'sha256-abc'\)/,
  );
  await pluginError(
    loadPlugin("./nope.ts", FIXTURES),
    /^plugin not found: \.\/nope\.ts \(no such file: .*\/tests\/fixtures\/nope\.ts\)$/,
  );

  const dir = await Deno.makeTempDir({ prefix: "plugin_url_test_" });
  try {
    await Deno.writeTextFile(
      `${dir}/broken.ts`,
      "export default class {\n  run() { return ]; }\n}\n",
    );
    await pluginError(
      loadPlugin("broken.ts", dir),
      /^syntax error in plugin broken\.ts: .+ \(at file:\/\/\/.*\/broken\.ts:2:\d+\)$/,
    );
    await Deno.writeTextFile(
      `${dir}/bad_dep.ts`,
      'export { x as default } from "./missing_dep.ts";\n',
    );
    await pluginError(
      loadPlugin("bad_dep.ts", dir),
      /^cannot import a dependency of plugin bad_dep\.ts: .*missing_dep\.ts/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker: a verified plugin is handed to a Web Worker, which imports and runs it", async () => {
  const bytes = fixture("url_good.ts");
  await withServer({ "/good.ts": bytes }, async ({ base }) => {
    const plugin = await fetchPlugin(`${base}good.ts`, { integrity: await sha256(bytes) });
    const worker = new Worker(new URL("url_worker.ts", FIXTURES), { type: "module" });
    try {
      const reply = await new Promise<unknown>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
        worker.postMessage(plugin);
      });
      assert.deepEqual(reply, { ok: true, result: { count: 0, sum: 100 } });
    } finally {
      worker.terminate();
    }
  });
});

Deno.test("remote: relative imports and import.meta.url resolve against the plugin's URL", async () => {
  // In a subprocess with --no-lock and its own DENO_DIR: the dependency is a real remote import,
  // which Deno would otherwise record in the project's deno.lock and cache.
  const denoDir = await Deno.makeTempDir({ prefix: "plugin_url_deno_dir_" });
  try {
    await withServer({
      "/plugins/url_relative.ts": fixture("url_relative.ts"),
      "/plugins/url_dep.ts": fixture("url_dep.ts"),
    }, async ({ base, requests }) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-lock",
          "--no-config",
          "-A",
          new URL("url_load_main.ts", FIXTURES).pathname,
          `${base}plugins/url_relative.ts`,
        ],
        env: { DENO_DIR: denoDir, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), {
        value: 42,
        url: `${base}plugins/url_relative.ts`,
        sibling: `${base}plugins/url_dep.ts`,
      });
      assert.deepEqual(requests, ["/plugins/url_relative.ts", "/plugins/url_dep.ts"]);
    });
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", "src/cli/main.ts", ...args],
    cwd: ROOT.pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("cli: plugin hash prints the pin of a file or a URL; errors exit 2", async () => {
  const bytes = fixture("url_good.ts");
  const expected = await sha256(bytes);
  assert.equal(await hashPlugin("url_good.ts", { base: FIXTURES }), expected);

  const local = await cli("plugin", "hash", "tests/fixtures/url_good.ts");
  assert.equal(local.code, 0, local.stderr);
  assert.equal(local.stdout, `${expected}\n`);

  await withServer({ "/good.ts": bytes }, async ({ base }) => {
    const remote = await cli("plugin", "hash", `${base}good.ts`);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout.trim(), expected);
  });

  const missing = await cli("plugin", "hash", "tests/fixtures/url_nope.ts");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /plugin not found: tests\/fixtures\/url_nope\.ts/);
  const refused = await cli("plugin", "hash", "http://example.invalid/x.ts");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /only allowed for loopback hosts/);
  const usage = await cli("plugin");
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: stream-infer plugin hash URL\|PATH/);
  const help = await cli("help");
  assert.match(help.stdout, /stream-infer plugin hash URL\|PATH/);
});

Deno.test("config: integrity, trust and permissions are parsed, and wrong types name file:line", () => {
  const pin = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  const config = parseConfig(
    [
      "source: a.mp4",
      "algos:",
      "  - plugin: https://cdn.example.com/motion.ts",
      `    integrity: ${pin}`,
      "  - plugin: https://cdn.example.com/other.ts",
      "    trust: true",
      "    permissions:",
      "      read: [./models, /abs]",
      "      write: []",
      "      net: [api.example.com:443]",
      "      env: [HOME]",
      "      ffi: true",
      "      sys: false",
    ].join("\n"),
    "/srv/p.yaml",
  );
  assert.equal(config.algos[0].integrity, pin);
  assert.equal(config.algos[0].trust, undefined);
  assert.equal(config.algos[1].trust, true);
  assert.deepEqual(config.algos[1].permissions, {
    read: ["/srv/models", "/abs"],
    write: [],
    net: ["api.example.com:443"],
    env: ["HOME"],
    ffi: true,
    sys: false,
  });

  const bad: [string, RegExp][] = [
    [
      "    integrity: 42",
      /^p\.yaml:4: algos\[0\]\.integrity: must be an SRI hash like sha256-<base64> \(got number 42\)/,
    ],
    ["    integrity: sha256-tooshort", /^p\.yaml:4: algos\[0\]\.integrity: must be an SRI hash/],
    ["    integrity: md5-abc", /^p\.yaml:4: algos\[0\]\.integrity: .*stream-infer plugin hash/],
    [
      "    trust: yes please",
      /^p\.yaml:4: algos\[0\]\.trust: must be true or false \(got string "yes please"\)/,
    ],
    ["    trust: 1", /^p\.yaml:4: algos\[0\]\.trust: must be true or false/],
    [
      "    permissions: [read]",
      /^p\.yaml:4: algos\[0\]\.permissions: must be a mapping \(got a list\)/,
    ],
    [
      "    permissions:\n      read: /models",
      /^p\.yaml:5: algos\[0\]\.permissions\.read: must be a list/,
    ],
    [
      "    permissions:\n      net:\n        - 443",
      /^p\.yaml:6: algos\[0\]\.permissions\.net\[0\]: must be a non-empty string/,
    ],
    [
      "    permissions:\n      ffi: yes",
      /^p\.yaml:5: algos\[0\]\.permissions\.ffi: must be true or false/,
    ],
    [
      "    permissions:\n      run: true",
      /^p\.yaml:5: algos\[0\]\.permissions\.run: unknown key 'run' \(allowed: read, write, net, env, ffi, sys, import\)/,
    ],
  ];
  for (const [lines, pattern] of bad) {
    const text = `source: a.mp4\nalgos:\n  - plugin: https://cdn.example.com/m.ts\n${lines}\n`;
    assert.throws(() => parseConfig(text, "p.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    }, lines);
  }
});

Deno.test("example: remote_plugin.yaml is a valid config with an https plugin and a pin", async () => {
  const { loadConfig } = await import("../src/config/load.ts");
  const config = await loadConfig(new URL("examples/remote_plugin.yaml", ROOT).pathname);
  const remote = config.algos.find((a) => a.plugin.startsWith("https:"));
  assert.ok(remote, "a remote algo entry");
  assert.ok(remote.integrity && isIntegrity(remote.integrity), remote.integrity);
  assert.equal(remote.trust, undefined);
});
