import assert from "node:assert/strict";
import { childFfmpeg } from "../../tests/helpers.ts";
import { InputError } from "../errors.ts";
import { serveDev } from "./server.ts";
import type { DevState } from "./state.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "stream-infer-test-" });
}

async function clip(path: string, seconds = 20): Promise<string> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=s=160x120:r=25:d=${seconds}`,
      "-pix_fmt",
      "yuv420p",
      "-c:v",
      "libx264",
      path,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return path;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: HeadersInit = {},
): Promise<{ status: number; json: Record<string, unknown> | null; headers: Headers }> {
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

const CONFIG = (clipPath: string, dir: string) =>
  `# dev test pipeline
source: ${clipPath} # the clip
mode: realtime
algos:
  - plugin: motion # built-in
    name: motion
    interval: 0.1
sinks:
  - { type: jsonl, path: ${dir}/out.jsonl, overwrite: true } # records
`;

Deno.test("dev server: the page, its assets, the state and the mounted control API", async () => {
  const server = serveDev({ port: 0 });
  try {
    const page = await fetch(server.url + "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    assert.match(await page.text(), /<img|id="tiles"/);
    for (
      const [path, text] of [["/assets/uplot.js", "uPlot"], ["/assets/app.js", "/api/state"], [
        "/assets/uplot.css",
        ".uplot",
      ]]
    ) {
      const r = await fetch(server.url + path);
      assert.equal(r.status, 200, path);
      assert.ok((await r.text()).includes(text), path);
    }
    const missing = await call(server.url, "GET", "/assets/nope.js");
    assert.equal(missing.status, 404);
    assert.match(String(missing.json?.error), /no such path/);
    const state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
    assert.equal(state.running, false);
    assert.deepEqual(state.sources, []);
    assert.equal((await call(server.url, "GET", "/api/control/healthz")).status, 200);
    const add = await call(server.url, "POST", "/api/control/sources", {
      id: "x",
      url: "/nope.mp4",
    });
    assert.equal(add.status, 400);
    assert.match(String(add.json?.error), /no run: press start first/);
    assert.equal((await call(server.url, "POST", "/api/stop")).status, 200);
    const save = await call(server.url, "POST", "/api/shapes/save", {
      type: "line",
      name: "l",
      on: "d",
      points: [[0, 0], [5, 5]],
    });
    assert.equal(save.status, 409);
    assert.match(String(save.json?.error), /no config file/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("dev server: the control API's access rule (token, cookie, loopback, origin)", async () => {
  assert.throws(() => serveDev({ host: "0.0.0.0", port: 0 }), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /non-loopback address requires a token \(--token\)/);
    return true;
  });
  const server = serveDev({ port: 0, token: "s3cret" });
  try {
    assert.equal((await call(server.url, "GET", "/api/state")).status, 401);
    assert.equal((await call(server.url, "GET", "/")).status, 401);
    assert.equal((await call(server.url, "GET", "/video/main.mjpg")).status, 401);
    const bearer = { authorization: "Bearer s3cret" };
    assert.equal((await call(server.url, "GET", "/api/state", undefined, bearer)).status, 200);
    assert.equal(
      (await call(server.url, "GET", "/api/state", undefined, { authorization: "Bearer no" }))
        .status,
      401,
    );
    const login = await call(server.url, "GET", "/?token=s3cret");
    assert.equal(login.status, 303);
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    assert.match(login.headers.get("set-cookie")!, /HttpOnly; SameSite=Strict/);
    assert.equal((await call(server.url, "GET", "/api/state", undefined, { cookie })).status, 200);
    assert.equal(
      (await call(server.url, "GET", "/api/control/sources", undefined, { cookie })).status,
      200,
    );
    const cross = await call(server.url, "POST", "/api/stop", undefined, {
      ...bearer,
      origin: "http://evil.example",
    });
    assert.equal(cross.status, 403);
    // DNS rebinding: a Host that is not loopback (fetch cannot set Host: a raw request)
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(new TextEncoder().encode(
      "GET /api/state HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer s3cret\r\nConnection: close\r\n\r\n",
    ));
    let answer = "";
    const buf = new Uint8Array(4096);
    for (let n; (n = await conn.read(buf)) !== null;) {
      answer += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    assert.match(answer, /^HTTP\/1\.1 403/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("dev server: bad input answers a one-line error and the server keeps serving", async () => {
  const dir = await tempDir();
  const server = serveDev({ port: 0 });
  const good = await clip(`${dir}/good.mp4`, 1);
  try {
    const cases: [unknown, RegExp][] = [
      [{ sources: [{ url: `${dir}/missing.mp4` }], plugins: ["motion"] }, /missing\.mp4/],
      [{ sources: [{ url: good }], plugins: [`${dir}/no_plugin.ts`] }, /no_plugin\.ts/],
      [{ sources: [{ url: good }], plugins: ["nosuchbuiltin"] }, /nosuchbuiltin/],
      [{ sources: [] }, /at least one source/],
      [{}, /no source: give a path or URL/],
      [{ sources: [{ url: "a.mp4" }], width: "wide" }, /width must be a number/],
      [{ sources: [{ url: "a.mp4" }], format: "cmyk" }, /format/],
    ];
    for (const [body, message] of cases) {
      const r = await call(server.url, "POST", "/api/start", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const error = String(r.json?.error);
      assert.match(error, message);
      assert.ok(!error.includes("\n"));
      const state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
      assert.equal(state.running, false);
    }
    // a URL that cannot be opened: the run starts, the source fails, the page gets the error
    const bad = await call(server.url, "POST", "/api/start", {
      sources: [{ url: "http://127.0.0.1:9/none.mp4" }],
      plugins: ["motion"],
    });
    if (bad.status === 200) {
      let state!: DevState;
      for (let i = 0; i < 600; i++) {
        state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
        if (!state.running && !state.starting) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(state.running, false);
      assert.match(String(state.error), /127\.0\.0\.1:9/);
      assert.ok(!String(state.error).includes("\n"));
    } else {
      assert.equal(bad.status, 400);
      assert.match(String(bad.json?.error), /127\.0\.0\.1:9/);
    }
    const polygon = await call(server.url, "POST", "/api/shapes", {
      type: "zone",
      name: "z",
      on: "d",
      points: [[0, 0], [1, 1]],
    });
    assert.equal(polygon.status, 400);
    assert.match(String(polygon.json?.error), /bad zone/);
    assert.equal((await call(server.url, "POST", "/api/start", "{")).status, 400);
    assert.deepEqual(await childFfmpeg(), []);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dev server: a run plays, streams MJPEG, fills the panels, saves a line, and stops with no ffmpeg left", async () => {
  const dir = await tempDir();
  const file = `${dir}/p.yaml`;
  await Deno.writeTextFile(file, CONFIG(await clip(`${dir}/clip.mp4`), dir));
  const server = serveDev({
    config: file,
    port: 0,
    maxFps: 30,
    output: (name, r) => `${name}: ${JSON.stringify(r).length} chars`,
  });
  try {
    const started = await call(server.url, "POST", "/api/start", {});
    assert.equal(started.status, 200, JSON.stringify(started.json));
    const video = await fetch(server.url + "/video/main.mjpg");
    const reader = video.body!.getReader();
    let bytes = "";
    while ((bytes.match(/Content-Type: image\/jpeg/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      assert.ok(!done);
      bytes += new TextDecoder("latin1").decode(value);
    }
    await reader.cancel();
    let state!: DevState;
    for (let i = 0; i < 400; i++) {
      state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
      if ((state.algos.motion?.runs ?? 0) > 2 && state.sources[0]?.position > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(state.running, true);
    assert.match(state.algos.motion.output, /^motion: \d+ chars$/); // the output hook
    assert.equal(state.sources[0].duration, 20);
    assert.ok(state.sources[0].position > 0);
    // a line: drawn at once, then saved into the config with its comments
    const line = {
      type: "line",
      name: "gate",
      on: "motion",
      points: [[0, 60], [160, 60]],
      source: "main",
    };
    assert.equal((await call(server.url, "POST", "/api/shapes", line)).status, 200);
    state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
    assert.deepEqual(state.shapes.map((s) => [s.name, s.saved]), [["gate", false]]);
    const outside = await call(server.url, "POST", "/api/shapes", {
      ...line,
      points: [[0, 0], [999, 0]],
    });
    assert.match(String(outside.json?.error), /outside the 160x120 frame/);
    assert.equal((await call(server.url, "POST", "/api/shapes/save", line)).status, 200);
    const text = await Deno.readTextFile(file);
    for (const c of ["# dev test pipeline", "# the clip", "# built-in", "# records"]) {
      assert.ok(text.includes(c));
    }
    assert.match(text, /name: gate/);
    state = (await call(server.url, "GET", "/api/state")).json as unknown as DevState;
    assert.deepEqual(state.shapes.map((s) => [s.name, s.saved]), [["gate", true]]);
    // stop: the run ends, every ffmpeg (player, live view) is reaped
    const stopped = await call(server.url, "POST", "/api/stop");
    assert.equal((stopped.json as unknown as DevState).running, false);
    await server.hub.settled();
    assert.deepEqual(await childFfmpeg(), []);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
