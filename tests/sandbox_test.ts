/**
 * The worker sandbox's read grants from plugin options (docs/contract.md §2.5): a string in
 * `options` grants read access only when it names an existing file under the plugin base
 * directory (the config's directory, `pluginBase`) or under the working directory. Anything
 * else, `/etc/passwd` included, needs an explicit `permissions.read`.
 *
 * Needs `--unstable-worker-options` (as `deno task test` passes).
 */
import assert from "node:assert/strict";
import { FFmpegProducer, Inference, Player } from "../mod.ts";
import { isWorkerSandboxAvailable } from "../src/worker/runner.ts";
import { FIXTURES, makeTestsrc, withTempDir } from "./helpers.ts";

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
