/**
 * Decoding files in this process (libavformat, libavcodec and libswscale through FFI) against
 * a spawned ffmpeg (`decoding: "ffmpeg"`): the very same frames (bytes, indices, times) in every
 * format, resized or not, with seeks, fps down-sampling and frame filters; pts times of a
 * variable-rate file; a spawned ffmpeg whenever decoding here does not apply; and nothing left
 * open when a read ends early.
 */
import assert from "node:assert/strict";
import {
  FFmpegProducer,
  type Frame,
  PIXEL_FORMATS,
  Player,
  probe,
  type ReadOptions,
  type SourceInfo,
} from "../mod.ts";
import {
  assertNoFfmpeg,
  CAR_CLIP,
  ffmpeg,
  ffmpegProcessesMentioning,
  makeTestsrc,
  makeVfrClip,
  VFR_PTS,
  withTempDir,
} from "./helpers.ts";

type Options = ConstructorParameters<typeof FFmpegProducer>[0];

interface Seen {
  index: number;
  time: number;
  data: Uint8Array;
}

/** The first `limit` frames of a read (all of them by default). */
async function read(
  clip: string,
  producer: Options,
  options: ReadOptions,
  limit = Infinity,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  for await (const f of new FFmpegProducer(producer).read(clip, options)) {
    seen.push({ index: f.index, time: f.time, data: f.data.slice() });
    if (seen.length === limit) break;
  }
  return seen;
}

/** Reads both ways (the first `limit` frames) and checks that the frames are the same, byte
 * for byte. */
async function sameBothWays(clip: string, producer: Options, options: ReadOptions, limit = 12) {
  const here = new FFmpegProducer(producer);
  assert.ok(here.decodesInProcess(clip, options), `${JSON.stringify(producer)} decodes here`);
  const ours = await read(clip, producer, options, limit);
  const theirs = await read(clip, { ...producer, decoding: "ffmpeg" }, options, limit);
  const label = JSON.stringify({ ...producer, ...options, info: undefined, filter: undefined });
  assert.ok(ours.length > 0, label);
  assert.deepEqual(ours.map((f) => [f.index, f.time]), theirs.map((f) => [f.index, f.time]), label);
  for (const [k, frame] of ours.entries()) {
    assert.ok(frame.data.length === theirs[k].data.length, `${label}: frame ${k} size`);
    const differs = frame.data.findIndex((v, i) => v !== theirs[k].data[i]);
    assert.equal(differs, -1, `${label}: frame ${k} differs at byte ${differs}`);
  }
  return ours;
}

Deno.test("in-process decoding: the same frames as a spawned ffmpeg, in every format", async (t) => {
  const info = await probe(CAR_CLIP);
  assert.equal(info.pixelFormat, "yuv420p");
  // the first second of the clip, at its size, shrunk, enlarged and at an odd size
  for (const format of PIXEL_FORMATS) {
    await t.step(format, async () => {
      for (const size of [{}, { width: 320, height: 180 }, { width: 1280, height: 720 }]) {
        await sameBothWays(CAR_CLIP, { format, ...size }, { info });
      }
      if (format === "bgr24") await sameBothWays(CAR_CLIP, { width: 321 }, { info });
    });
  }
});

Deno.test("in-process decoding: seeks, fps down-sampling and frame filters pick the same frames", async (t) => {
  const info = await probe(CAR_CLIP);
  const every3 = { expr: "not(mod(n,3))", test: (k: number) => k % 3 === 0 };
  const cases: [string, ReadOptions][] = [
    ["a seek between key frames", { info, position: 7.3 }],
    ["5 fps of 12.5", { info, fps: 5 }],
    ["a seek and 2 fps", { info, position: 21.1, fps: 2 }],
    ["every third frame", { info, filter: every3 }],
  ];
  for (const [name, options] of cases) {
    await t.step(name, async () => {
      const frames = await sameBothWays(CAR_CLIP, { width: 192, height: 108 }, options);
      if (options.position) assert.ok(frames[0].time >= options.position - 1e-6);
    });
  }
});

Deno.test("in-process decoding: a variable-rate file's times are its frames' pts", async () => {
  await withTempDir(async (dir) => {
    // H.264 in yuv420p: decoded here
    const clip = await makeVfrClip(`${dir}/vfr.mp4`, ["-pix_fmt", "yuv420p", "-c:v", "libx264"]);
    const info = await probe(clip);
    const frames = await sameBothWays(clip, {}, { info }, Infinity);
    assert.equal(frames.length, 40);
    for (const [n, f] of frames.entries()) assert.ok(Math.abs(f.time - VFR_PTS(n)) < 1e-3, `${n}`);
    // frames 22 to 39 (pts 26/25 s on): a seek lands on the first frame at or after 1 s
    const later = await sameBothWays(clip, {}, { info, position: 1 }, Infinity);
    assert.deepEqual(later.map((f) => Math.round(f.time * 25)), later.map((_, k) => 26 + 3 * k));
  });
});

Deno.test("in-process decoding: a spawned ffmpeg reads what it does not apply to", async (t) => {
  await withTempDir(async (dir) => {
    // frames large enough that ffmpeg still runs when the first one arrives (its pipe is full),
    // here and in the 4:4:4 clip
    const plain = await makeTestsrc(`${dir}/plain.mp4`, { width: 640, height: 480, seconds: 1 });
    const info = await probe(plain);
    const yuv444 = `${dir}/444.mp4`;
    await ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=640x480:r=25:d=1",
      "-pix_fmt",
      "yuv444p",
      "-c:v",
      "libx264",
      yuv444,
    ]);
    const live: SourceInfo = { ...info, live: true };
    const cases: [string, string, Options, ReadOptions][] = [
      ["asked to", plain, { decoding: "ffmpeg" }, { info }],
      ["ffmpeg input options", plain, { inputOptions: ["-re"] }, { info }],
      ["input options of the read", plain, {}, { info, inputOptions: ["-re"] }],
      ["a live source", plain, {}, { info: live }],
      ["no probed info", plain, {}, {}],
      ["4:4:4 video", yuv444, {}, { info: await probe(yuv444) }],
      ["scale flags libswscale does not know", plain, { scaleFlags: "bilinear+nonsense" }, {
        info,
      }],
    ];
    for (const [why, clip, producer, options] of cases) {
      await t.step(why, async () => {
        assert.equal(new FFmpegProducer(producer).decodesInProcess(clip, options), false);
        if (why === "scale flags libswscale does not know") return; // ffmpeg rejects them too
        if (options.info?.live) return; // a live read of a file would play it in real time
        const seen: Frame[] = [];
        let spawned = false;
        for await (const f of new FFmpegProducer(producer).read(clip, options)) {
          spawned ||= (await ffmpegProcessesMentioning(clip)).length > 0;
          seen.push(f);
        }
        assert.equal(seen.length, 25);
        assert.ok(spawned, "an ffmpeg read the file");
      });
    }
    // and none does when decoding here
    let spawned = false;
    for await (const _ of new FFmpegProducer().read(plain, { info })) {
      spawned ||= (await ffmpegProcessesMentioning(plain)).length > 0;
    }
    assert.equal(spawned, false);
    await assertNoFfmpeg(dir);
  });
});

Deno.test("in-process decoding: breaking off, aborting and skipping free everything", async () => {
  const info = await probe(CAR_CLIP);
  const producer = new FFmpegProducer({ width: 320, height: 180 });
  let n = 0;
  for await (const _ of producer.read(CAR_CLIP, { info })) if (++n === 3) break;
  const abort = new AbortController();
  n = 0;
  for await (const _ of producer.read(CAR_CLIP, { info, signal: abort.signal })) {
    if (++n === 5) abort.abort();
  }
  assert.equal(n, 5, "no frame after the abort");
  // skipped frames are not handed out, and the indices still count them
  const kept: number[] = [];
  const skip = (f: Frame) => f.index % 2 === 1;
  for await (
    const f of producer.read(CAR_CLIP, {
      info,
      skip,
      filter: { expr: "lt(n,10)", test: (k) => k < 10 },
    })
  ) {
    kept.push(f.index);
  }
  assert.deepEqual(kept, [0, 2, 4, 6, 8]);
});

Deno.test("in-process decoding: a player plays it in real time too", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
    const producer = new FFmpegProducer();
    assert.ok(producer.decodesInProcess(clip, { info: await probe(clip) }));
    const times: number[] = [];
    for await (const f of new Player(producer, clip).play({ realtime: true })) times.push(f.time);
    // a late frame may be dropped, so check the grid and the order, not the count
    assert.ok(times.length > 0 && times[0] === 0, `${times}`);
    for (const [k, time] of times.entries()) {
      assert.ok(Number.isInteger(Math.round(time * 25 * 1e6) / 1e6), `${time} on the 1/25 s grid`);
      if (k > 0) assert.ok(time > times[k - 1]);
    }
  });
});
