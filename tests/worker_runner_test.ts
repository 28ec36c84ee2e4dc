/**
 * Tests of WorkerRunner: plugins in Web Workers, transferable frames, timeouts, crashes,
 * restarts, disabling, permissions (sandboxing) and malformed plugins.
 *
 * Run with --unstable-worker-options (as `deno task test` does) so that sandboxing is on.
 */
import assert from "node:assert/strict";
import { PluginError } from "../src/errors.ts";
import type { Frame } from "../src/frame.ts";
import { fetchPlugin } from "../src/plugin/load.ts";
import {
  isWorkerSandboxAvailable,
  ResultError,
  WorkerCrashError,
  WorkerDisabledError,
  WorkerRunner,
  WorkerRunnerError,
  type WorkerRunnerEvent,
  WorkerTimeoutError,
} from "../src/worker/runner.ts";

import { within } from "./live_helpers.ts";

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

function frame(bytes: ArrayLike<number>, index = 0, width = bytes.length / 3, height = 1): Frame {
  return {
    data: Uint8Array.from(bytes),
    width,
    height,
    format: "rgb24",
    index,
    source: "main",
    time: index / 10,
  };
}

/** A frame whose first pixel byte tells worker_faulty.ts what to do. */
const faulty = (mode: number): Frame[] => [frame([mode, 0, 0])];

async function rejectsWith(
  promise: Promise<unknown>,
  cls: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected a rejection matching ${pattern}`);
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${caught.name}: ${caught.message}`);
  assert.match(caught.message, pattern);
  return caught;
}

Deno.test("a plugin runs in a worker and computes its result from the pixels", async () => {
  const runner = new WorkerRunner(fixture("worker_sum.ts"));
  try {
    await runner.init({ scale: 2 });
    assert.equal(runner.algoName, "PixelSum");
    assert.equal(runner.name, "PixelSum");
    const frames = [frame([1, 2, 3, 4, 5, 6], 7, 2), frame([10, 20, 30], 8)];
    const result = await runner.run(frames) as { sum: number; frames: unknown[] };
    assert.equal(result.sum, 2 * (21 + 60));
    assert.deepEqual(result.frames, [
      { index: 7, time: 0.7, width: 2, height: 1, bytes: 6 },
      { index: 8, time: 0.8, width: 1, height: 1, bytes: 3 },
    ]);
    // Copy mode leaves the caller's buffers alone; pooled buffers are reused run after run.
    assert.equal(frames[0].data.byteLength, 6);
    for (let i = 0; i < 5; i++) {
      frames[1].data[0] = i;
      const again = await runner.run(frames) as { sum: number };
      assert.equal(again.sum, 2 * (21 + i + 50));
    }
    // Frames that share one buffer (views into a ring, say) are fine too.
    const ring = new Uint8Array([1, 1, 1, 2, 2, 2]);
    const views: Frame[] = [0, 3].map((offset, i) => ({
      ...frame([0, 0, 0], i),
      data: ring.subarray(offset, offset + 3),
    }));
    assert.equal((await runner.run(views) as { sum: number }).sum, 2 * 9);
  } finally {
    await runner.dispose();
  }
});

Deno.test("runTransfer hands the caller's buffers over without copying", async () => {
  const runner = new WorkerRunner(fixture("worker_sum.ts"));
  try {
    await runner.init({});
    const a = frame([1, 2, 3], 0);
    const b = frame([4, 5, 6], 1);
    const buffers = [a.data.buffer, b.data.buffer];
    const returned: ArrayBuffer[] = [];
    const result = await runner.runTransfer([a, b], (buffer) => returned.push(buffer));
    assert.equal((result as { sum: number }).sum, 21);
    for (const buffer of buffers) assert.equal(buffer.byteLength, 0, "detached after the post");
    assert.equal(a.data.byteLength, 0);
    // The worker sends the buffers back: the caller can refill and reuse them.
    assert.deepEqual(returned.map((b) => [...new Uint8Array(b)]), [[1, 2, 3], [4, 5, 6]]);
    const reused = { ...a, data: new Uint8Array(returned[0]) };
    assert.equal((await runner.runTransfer([reused]) as { sum: number }).sum, 6);
    assert.equal(returned[0].byteLength, 0);
    // Without a recycle callback the buffer is simply handed over.
    const c = frame([9, 9, 9]);
    const cBuffer = c.data.buffer;
    assert.equal((await runner.runTransfer([c]) as { sum: number }).sum, 27);
    assert.equal(cBuffer.byteLength, 0);
    // A detached frame cannot be sent again.
    await rejectsWith(runner.runTransfer([c]), TypeError, /detached buffer/);
    // Nor a buffer that cannot be transferred; that is the caller's error, not a restart.
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasm = { ...frame([0, 0, 0]), data: new Uint8Array(memory.buffer, 0, 3) };
    await rejectsWith(runner.runTransfer([wasm]), WorkerRunnerError, /cannot send to the worker/);
    assert.equal(runner.restarts, 0);
    assert.equal((await runner.run([wasm]) as { sum: number }).sum, 0);
  } finally {
    await runner.dispose();
  }
});

Deno.test("two runners run in parallel", async () => {
  const one = new WorkerRunner(fixture("worker_busy.ts"));
  const two = new WorkerRunner(fixture("worker_busy.ts"));
  try {
    await Promise.all([one.init({ ms: 300 }), two.init({ ms: 300 })]);
    const input = [frame([0, 0, 0])];
    const start = performance.now();
    const results = await Promise.all([one.run(input), two.run(input)]) as { ms: number }[];
    const wall = performance.now() - start;
    const busy = results[0].ms + results[1].ms;
    assert.ok(
      busy > wall,
      `run times ${busy.toFixed(0)} ms should exceed wall ${wall.toFixed(0)} ms`,
    );
  } finally {
    await Promise.all([one.dispose(), two.dispose()]);
  }
});

Deno.test("an error thrown by the plugin rejects the run; the worker keeps working", async () => {
  const events: WorkerRunnerEvent[] = [];
  const runner = new WorkerRunner(fixture("worker_faulty.ts"), {
    onEvent: (e) => events.push(e),
  });
  try {
    await runner.init({});
    const e = await rejectsWith(runner.run(faulty(1)), Error, /^plugin says no$/);
    assert.equal(e.name, "Error");
    const t = await rejectsWith(runner.run(faulty(2)), TypeError, /bad pixels/);
    assert.equal(t.name, "TypeError");
    // a function in the result: refused before it is sent, with where it is
    await rejectsWith(
      runner.run(faulty(6)),
      ResultError,
      /is not JSON: result\.callback is a function/,
    );
    assert.equal(await runner.run(faulty(0)), "ok");
    assert.equal(runner.restarts, 0);
    assert.deepEqual(events.filter((e) => e.type !== "warning"), []);
  } finally {
    await runner.dispose();
  }
});

Deno.test("a run past timeoutMs restarts the worker; the next run works", async () => {
  const events: WorkerRunnerEvent[] = [];
  const runner = new WorkerRunner(fixture("worker_faulty.ts"), {
    timeoutMs: 250,
    onEvent: (e) => events.push(e),
  });
  try {
    await runner.init({ hangMs: 1500 });
    await rejectsWith(
      runner.run(faulty(3)),
      WorkerTimeoutError,
      /Faulty: run timed out after 250 ms/,
    );
    assert.equal(runner.restarts, 1);
    assert.equal(runner.disabled, false);
    assert.equal(await runner.run(faulty(0)), "ok");
    const restarts = events.filter((e) => e.type === "restart");
    assert.equal(restarts.length, 1);
    assert.equal(restarts[0].name, "Faulty");
    assert.match(restarts[0].message, /^Faulty: restarting the worker .*timed out/);
  } finally {
    await runner.dispose();
  }
});

Deno.test("a worker that crashes is restarted and the pending run rejects", async () => {
  const runner = new WorkerRunner(fixture("worker_faulty.ts"), { onEvent: () => {} });
  try {
    await runner.init({});
    await rejectsWith(
      runner.run(faulty(4)),
      WorkerCrashError,
      /Faulty: the worker crashed: crashed from a timer/,
    );
    assert.equal(runner.restarts, 1);
    assert.equal(await runner.run(faulty(0)), "ok");
    await rejectsWith(runner.run(faulty(5)), WorkerCrashError, /unhandled rejection.*nobody/);
    assert.equal(runner.restarts, 2);
    assert.equal(await runner.run(faulty(0)), "ok");
  } finally {
    await runner.dispose();
  }
});

Deno.test("a plugin that calls Deno.exit crashes its run at once; the worker restarts", async () => {
  const events: WorkerRunnerEvent[] = [];
  // the timeout is far beyond the liveness bound: only noticing the exit itself can pass
  const runner = new WorkerRunner(fixture("hard_exit.ts"), {
    timeoutMs: 60_000,
    onEvent: (e) => events.push(e),
  });
  try {
    await runner.init({ exitAt: 2 });
    const at = (index: number) => [frame([0, 0, 0], index)];
    assert.deepEqual(await runner.run(at(1)), { index: 1 });
    await within(
      20_000,
      "the run whose plugin called Deno.exit",
      rejectsWith(
        runner.run(at(2)),
        WorkerCrashError,
        /^HardExit: the worker crashed: the plugin called Deno\.exit\(3\)$/,
      ),
    );
    assert.equal(runner.restarts, 1);
    assert.equal(runner.disabled, false);
    assert.deepEqual(await within(20_000, "the next run", runner.run(at(3))), { index: 3 });
    assert.deepEqual(await runner.run(at(4)), { index: 4 });
    assert.equal(events.filter((e) => e.type === "restart").length, 1);
  } finally {
    await runner.dispose();
  }
});

Deno.test("a result JSON cannot encode rejects that run with a ResultError; no restart", async () => {
  for (
    const [bad, why] of [
      ["bigint", /result\.n is a BigInt/],
      ["circular", /result\.self is circular/],
      ["function", /result\.f is a function/],
    ] as const
  ) {
    const runner = new WorkerRunner(fixture("hard_result.ts"), { onEvent: () => {} });
    try {
      await runner.init({ bad, at: 2 });
      const one = [frame([0, 0, 0])];
      assert.deepEqual(await runner.run(one), { n: 1 });
      const e = await rejectsWith(runner.run(one), ResultError, why);
      assert.match(e.message, /^HardResult: the result is not JSON: /);
      assert.deepEqual(await runner.run(one), { n: 3 });
      assert.equal(runner.restarts, 0);
    } finally {
      await runner.dispose();
    }
  }
});

Deno.test("a runner that keeps failing is disabled with a clear message", async () => {
  const events: WorkerRunnerEvent[] = [];
  const runner = new WorkerRunner(fixture("worker_faulty.ts"), {
    name: "flaky",
    maxRestarts: 3,
    onEvent: (e) => events.push(e),
  });
  try {
    await runner.init({});
    await rejectsWith(runner.run(faulty(4)), WorkerCrashError, /flaky: the worker crashed/);
    // A completed run resets the count of consecutive failures.
    assert.equal(await runner.run(faulty(0)), "ok");
    await rejectsWith(runner.run(faulty(4)), WorkerCrashError, /crashed/);
    await rejectsWith(runner.run(faulty(4)), WorkerCrashError, /crashed/);
    const disabled = await rejectsWith(
      runner.run(faulty(4)),
      WorkerDisabledError,
      /^flaky: disabled after 3 consecutive failures: the worker crashed: crashed from a timer$/,
    );
    assert.equal(runner.disabled, true);
    assert.equal(runner.restarts, 3);
    // Further runs reject at once, with the same message.
    const started = performance.now();
    const again = await rejectsWith(runner.run(faulty(0)), WorkerDisabledError, /disabled/);
    assert.equal(again.message, disabled.message);
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(events.map((e) => e.type), ["restart", "restart", "restart", "disabled"]);
    assert.equal(events.at(-1)?.message, disabled.message);
  } finally {
    await runner.dispose();
  }
});

Deno.test("restarts whose init fails count as failures too", async () => {
  const dir = await Deno.makeTempDir();
  const counter = `${dir}/inits`;
  const runner = new WorkerRunner(fixture("worker_faulty_init.ts"), {
    name: "reinit",
    permissions: { read: [dir], write: [dir] },
    onEvent: () => {},
  });
  try {
    await runner.init({ counter });
    await rejectsWith(runner.run(faulty(4)), WorkerCrashError, /crashed/);
    // The restart's init fails (this fixture only initialises once), then again: disabled.
    const e = await rejectsWith(
      runner.run(faulty(0)),
      WorkerDisabledError,
      /^reinit: disabled after 3 consecutive failures: restart failed: .*init failed: init #3 refused/,
    );
    assert.equal(
      runner.lastError,
      e.message.replace(/^reinit: disabled after 3 consecutive failures: /, ""),
    );
    assert.equal(Number(await Deno.readTextFile(counter)), 3);
  } finally {
    await runner.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandboxed: the plugin reads what it was granted and nothing else", async () => {
  assert.ok(await isWorkerSandboxAvailable(), "run the tests with --unstable-worker-options");
  const dir = await Deno.makeTempDir();
  const granted = `${dir}/model.txt`;
  const secret = `${dir}/secret.txt`;
  await Deno.writeTextFile(granted, "weights");
  await Deno.writeTextFile(secret, "password");
  const runner = new WorkerRunner(fixture("worker_reader.ts"), { extraRead: [granted] });
  try {
    await runner.init({ paths: [granted, secret] });
    assert.equal(runner.sandboxed, true);
    const out = await runner.run([]) as {
      files: { ok: boolean; text?: string; error?: string }[];
      env: { ok: boolean; error?: string };
    };
    assert.deepEqual(out.files[0], { ok: true, text: "weights" });
    assert.equal(out.files[1].ok, false);
    assert.match(out.files[1].error!, /NotCapable: Requires read access to ".*secret\.txt"/);
    assert.equal(out.env.ok, false);
    assert.match(out.env.error!, /NotCapable: Requires env access/);
  } finally {
    await runner.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandbox: false inherits every permission of the process", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/any.txt`;
  await Deno.writeTextFile(file, "open");
  const runner = new WorkerRunner(fixture("worker_reader.ts"), { sandbox: false });
  try {
    await runner.init({ paths: [file] });
    assert.equal(runner.sandboxed, false);
    const out = await runner.run([]) as { files: { ok: boolean }[]; env: { ok: boolean } };
    assert.equal(out.files[0].ok, true);
    assert.equal(out.env.ok, true);
  } finally {
    await runner.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("malformed plugin modules reject init() with a PluginError naming what is missing", async () => {
  const cases: [string, RegExp][] = [
    [
      "worker_no_default.ts",
      /worker_no_default\.ts: the plugin has no default export \(it exports Named; add 'export default'\)/,
    ],
    ["worker_no_run.ts", /worker_no_run\.ts: the default export class has no run\(frames\) method/],
    ["worker_init_throws.ts", /InitThrows: init failed: model file missing/],
    [
      "worker_missing.ts",
      /worker_missing\.ts: plugin not found \(.*tests\/fixtures\/worker_missing\.ts\)/,
    ],
  ];
  const syntaxError = `data:text/javascript,${encodeURIComponent("export default class { run( {")}`;
  const throwsOnLoad = `data:text/javascript,${encodeURIComponent("throw new Error('no GPU');")}`;
  cases.push([syntaxError, /^data: plugin: cannot load the plugin: SyntaxError/]);
  cases.push([throwsOnLoad, /^data: plugin: cannot load the plugin: Error: no GPU$/]);
  for (const [file, pattern] of cases) {
    const runner = new WorkerRunner(file.startsWith("data:") ? file : fixture(file));
    try {
      await rejectsWith(runner.init({}), PluginError, pattern);
      await rejectsWith(runner.run([]), WorkerRunnerError, /run\(\) before init\(\)/);
    } finally {
      await runner.dispose();
    }
  }
});

Deno.test("data: and blob: plugin URLs load too", async () => {
  const source = "export default class Inline { run(frames) { return frames[0].data.length; } }";
  const dataUrl = `data:text/javascript,${encodeURIComponent(source)}`;
  const blobUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    for (const url of [dataUrl, blobUrl]) {
      const runner = new WorkerRunner(url);
      try {
        await runner.init();
        assert.equal(await runner.run([frame([1, 2, 3, 4, 5, 6])]), 6);
        assert.equal(runner.algoName, "Inline");
      } finally {
        await runner.dispose();
      }
    }
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
});

Deno.test("plugins verified by fetchPlugin load in the worker, local and remote", async () => {
  const local = await fetchPlugin("tests/fixtures/worker_no_run.ts");
  const bad = new WorkerRunner(local);
  try {
    await rejectsWith(
      bad.init({}),
      PluginError,
      /^tests\/fixtures\/worker_no_run\.ts: the default export class has no run\(frames\) method$/,
    );
  } finally {
    await bad.dispose();
  }
  // (A remote plugin's own relative imports are covered by plugin_url_test.ts, in a
  // subprocess with --no-lock, so that this project's deno.lock stays clean.)
  const files: Record<string, string> = {
    "/algo.ts": "export default class Remote { run(frames: unknown[]) { return frames.length; } }",
  };
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const body = files[new URL(req.url).pathname];
      return body
        ? new Response(body, { headers: { "content-type": "application/typescript" } })
        : new Response("not found", { status: 404 });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const fetched = (path: string) => fetchPlugin(base + path, { trust: true, onWarning: () => {} });
  const remote = await fetched("/algo.ts");
  assert.ok(remote.url.startsWith("data:"));
  const runner = new WorkerRunner(remote);
  try {
    await runner.init({});
    assert.equal(await runner.run([frame([1, 2, 3]), frame([4, 5, 6])]), 2);
    assert.equal(runner.name, "Remote");
  } finally {
    await runner.dispose();
  }
});

Deno.test("dispose calls the plugin's dispose, is idempotent, and later runs reject", async () => {
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/disposed`;
  const runner = new WorkerRunner(fixture("worker_sum.ts"), { permissions: { write: [dir] } });
  try {
    await runner.init({ disposeMarker: marker });
    await runner.run([frame([1, 2, 3])]);
    await Promise.all([runner.dispose(), runner.dispose()]);
    await runner.dispose();
    assert.equal(await Deno.readTextFile(marker), "disposed");
    await rejectsWith(runner.run([frame([1, 2, 3])]), WorkerRunnerError, /disposed/);
  } finally {
    await runner.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dispose during a hung run does not wait for it", async () => {
  const runner = new WorkerRunner(fixture("worker_faulty.ts"), { disposeTimeoutMs: 100 });
  await runner.init({ hangMs: 1000 });
  const pending = rejectsWith(runner.run(faulty(3)), WorkerRunnerError, /disposed/);
  const queued = rejectsWith(runner.run(faulty(0)), WorkerRunnerError, /disposed/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  await runner.dispose();
  assert.ok(performance.now() - started < 900, "dispose waited for the hung run");
  await pending;
  await queued;
  assert.equal(runner.restarts, 0);
});

Deno.test("without --unstable-worker-options the runner falls back and says so", async () => {
  const probe = fixture("worker_sandbox_probe.ts").pathname;
  const run = async (flags: string[], args: string[] = []) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, probe, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(stdout.trim().split("\n").at(-1)!);
  };
  const [off, on, escalate] = await Promise.all([
    run(["-A"]),
    run(["-A", "--unstable-worker-options"]),
    // Not -A: /proc/self/cmdline is off limits, so the flag is found with ps.
    run(["--allow-read", "--allow-run=ps", "--unstable-worker-options"], ["escalate"]),
  ]);
  assert.equal(off.available, false);
  assert.equal(off.sandboxed, false);
  assert.equal(off.result.sum, 6);
  assert.equal(off.events.length, 1);
  assert.equal(off.events[0].type, "warning");
  assert.match(off.events[0].message, /sandboxing is off: run with --unstable-worker-options/);
  assert.equal(on.available, true);
  assert.equal(on.sandboxed, true);
  assert.equal(on.result.sum, 6);
  assert.deepEqual(on.events, []);
  // Asking for a permission the process itself lacks is refused with a clear message.
  assert.equal(escalate.sandboxed, true);
  assert.match(
    escalate.error,
    /^PluginError: worker_sum\.ts: cannot grant the plugin net example\.com:443: this process does not have that permission itself$/,
  );
});
