/**
 * Sources that are easy to get wrong, against real ffmpeg: variable frame rates (times are the
 * frames' own pts), truncated files (a warning with the decoded frame count), still images
 * (one frame) and missing capture devices (a source error at once).
 */
import assert from "node:assert/strict";
import { FFmpegProducer, Player, type PlayerEvent, probe, SourceError } from "../mod.ts";
import {
  assertNoFfmpeg,
  ffmpeg,
  makeTestsrc,
  makeVfrClip,
  VFR_PTS,
  withTempDir,
} from "./helpers.ts";

/** Plays a player to its end; returns the frames' indices and times. */
async function playAll(
  player: Player,
  options: { position?: number; realtime?: boolean; fps?: number } = {},
): Promise<{ index: number; time: number }[]> {
  const seen = [];
  for await (const frame of player.play(options)) {
    seen.push({ index: frame.index, time: frame.time });
  }
  return seen;
}

Deno.test("variable frame rate: each frame's time is its own pts, within 1 ms", async (t) => {
  await withTempDir(async (dir) => {
    const clip = await makeVfrClip(`${dir}/vfr.mkv`, ["-c:v", "ffv1"]);
    const producer = new FFmpegProducer();
    await t.step("from the start", async () => {
      const seen = await playAll(new Player(producer, clip));
      assert.equal(seen.length, 40);
      for (const [n, frame] of seen.entries()) {
        assert.equal(frame.index, n);
        assert.ok(
          Math.abs(frame.time - VFR_PTS(n)) < 1e-3,
          `frame ${n}: time ${frame.time}, pts ${VFR_PTS(n)}`,
        );
      }
    });
    await t.step("after a seek into the slow part", async () => {
      const seen = await playAll(new Player(producer, clip), { position: 1 });
      assert.equal(seen.length, 18); // frames 22..39
      for (const [k, frame] of seen.entries()) {
        assert.ok(Math.abs(frame.time - VFR_PTS(22 + k)) < 1e-3, `frame ${k}: ${frame.time}`);
      }
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("a truncated mp4 plays what decodes and warns with the decoded frame count", async () => {
  await withTempDir(async (dir) => {
    const whole = await makeTestsrc(`${dir}/whole.mp4`, { fps: 25, seconds: 2 });
    const bytes = await Deno.readFile(whole);
    const cut = `${dir}/cut.mp4`;
    await Deno.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const events: PlayerEvent[] = [];
    const player = new Player(new FFmpegProducer(), cut, { onEvent: (e) => events.push(e) });
    const seen = await playAll(player);
    assert.ok(seen.length > 0 && seen.length < 50, `${seen.length} frames played`);
    const warnings = events.filter((e) => e.type === "warning");
    assert.equal(warnings.length, 1, JSON.stringify(events));
    assert.match(warnings[0].message, new RegExp(`decoded ${seen.length} of 50 frames`));
    assert.match(warnings[0].message, /truncated/);
    // an intact file gives no warning
    events.length = 0;
    const full = await playAll(
      new Player(new FFmpegProducer(), whole, { onEvent: (e) => events.push(e) }),
    );
    assert.equal(full.length, 50);
    assert.deepEqual(events, []);
    await assertNoFfmpeg(dir);
  });
});

Deno.test("a still image (PNG, JPEG) plays as one frame, never as a live source", async (t) => {
  await withTempDir(async (dir) => {
    for (const ext of ["png", "jpg"]) {
      await t.step(ext, async () => {
        const still = `${dir}/still.${ext}`;
        await ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x48", "-frames:v", "1", still]);
        const info = await probe(still);
        assert.equal(info.live, false);
        assert.equal(info.frameCount, 1);
        for (const realtime of [false, true]) {
          const events: PlayerEvent[] = [];
          const player = new Player(new FFmpegProducer(), still, {
            onEvent: (e) => events.push(e),
          });
          assert.deepEqual(await playAll(player, { realtime }), [{ index: 0, time: 0 }]);
          assert.deepEqual(events, [], `realtime ${realtime}`);
        }
      });
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("a missing capture device is a source error at once, with no reconnects", async () => {
  const device = "/dev/video9";
  let exists = true;
  try {
    Deno.statSync(device);
  } catch {
    exists = false;
  }
  if (exists) return; // this machine has one: nothing to test
  const events: PlayerEvent[] = [];
  const player = new Player(new FFmpegProducer(), device, { onEvent: (e) => events.push(e) });
  await assert.rejects(() => playAll(player), (e) => {
    assert.ok(e instanceof SourceError, String(e));
    assert.equal(e.exitCode, 2);
    assert.equal(e.message, `${device}: no such device`);
    return true;
  });
  assert.deepEqual(events, []);
  await assert.rejects(() => probe(device), SourceError);
});
