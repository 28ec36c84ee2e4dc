/**
 * FFmpegProducer, probe and Player against real ffmpeg: frame counts, presentation times after
 * seeks and down-sampling, pixel formats and sizes, and no ffmpeg left behind.
 */
import assert from "node:assert/strict";
import {
  FFmpegProducer,
  type Frame,
  InputError,
  Player,
  probe,
  SourceError,
  type SourceInfo,
} from "../mod.ts";
import {
  assertNoFfmpeg,
  expectedPlayedFrames,
  frameNumber,
  makeColorClip,
  makeNumberedClip,
  makeTestsrc,
  withTempDir,
  writeText,
} from "./helpers.ts";

const SRC_FPS = 25;

async function readAll(
  producer: FFmpegProducer,
  source: string,
  options: { info: SourceInfo; fps?: number; position?: number },
): Promise<{ index: number; time: number; number: number; length: number }[]> {
  const out = [];
  for await (const frame of producer.read(source, options)) {
    out.push({
      index: frame.index,
      time: frame.time,
      number: frameNumber(frame),
      length: frame.data.length,
    });
  }
  return out;
}

Deno.test("probe reports size, fps, frame count, duration and liveness", async () => {
  await withTempDir(async (dir) => {
    const mkv = await makeNumberedClip(`${dir}/n.mkv`, { seconds: 4 });
    const mp4 = await makeNumberedClip(`${dir}/n.mp4`, { seconds: 4, codec: "x264" });
    const src = await makeTestsrc(`${dir}/t.mp4`, { width: 160, height: 120, fps: 10, seconds: 3 });
    const want = (width: number, height: number, fps: number, frames: number, pix: string) => ({
      width,
      height,
      fps,
      frameCount: frames,
      duration: frames / fps,
      live: false,
      pixelFormat: pix,
    });
    const close = (info: SourceInfo) => ({
      ...info,
      duration: Math.round(info.duration! * 100) / 100,
    });
    assert.deepEqual(close(await probe(mkv)), want(64, 48, 25, 100, "gray"));
    assert.deepEqual(close(await probe(mp4)), want(64, 48, 25, 100, "yuvj444p"));
    assert.deepEqual(close(await probe(src)), want(160, 120, 10, 30, "yuv420p"));
    // no colour matrix tag: no colorSpace key (ffmpeg then converts as BT.601)
    assert.deepEqual(Object.keys(await probe(src)).sort(), [
      "duration",
      "fps",
      "frameCount",
      "height",
      "live",
      "pixelFormat",
      "width",
    ]);
  });
});

Deno.test("a full read yields exactly probe's frameCount frames, in order", async () => {
  await withTempDir(async (dir) => {
    const clips = [
      await makeNumberedClip(`${dir}/n.mkv`, { seconds: 4 }),
      await makeNumberedClip(`${dir}/n.mp4`, { seconds: 4, codec: "x264" }),
      await makeTestsrc(`${dir}/t.mp4`, { seconds: 2 }),
      await makeTestsrc(`${dir}/t10.mp4`, { seconds: 3, fps: 10, width: 64, height: 48 }),
    ];
    for (const clip of clips) {
      const info = await probe(clip);
      const producer = new FFmpegProducer({ format: "gray" });
      let count = 0;
      for await (const frame of producer.read(clip, { info })) {
        assert.equal(frame.index, count);
        assert.ok(Math.abs(frame.time - count / info.fps) < 1e-6, `time of frame ${count}`);
        if (clip.includes("/n.")) assert.equal(frameNumber(frame), count);
        count++;
      }
      assert.equal(count, info.frameCount, clip);
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("time is the source's presentation time, also after a seek and down-sampling", async (t) => {
  await withTempDir(async (dir) => {
    const clips = {
      "ffv1 (all intra)": await makeNumberedClip(`${dir}/n.mkv`, { seconds: 6 }),
      "H.264 (GOP 12, B-frames)": await makeNumberedClip(`${dir}/n.mp4`, {
        seconds: 6,
        codec: "x264",
      }),
    };
    const cases: { fps?: number; position: number }[] = [
      { position: 0 },
      { fps: 10, position: 0 },
      { fps: 7, position: 1.3 },
      { fps: 25, position: 2.7 },
      { fps: 3, position: 0.75 },
      { fps: 12.5, position: 4.2 },
      { fps: 60, position: 1 },
      { fps: 24, position: 0.04 },
    ];
    const ntsc = 30000 / 1001;
    type Case = { fps?: number; position: number };
    const runs: [string, string, number, number, Case[]][] = [
      ...Object.entries(clips).map(([name, clip]): [string, string, number, number, Case[]] => [
        name,
        clip,
        SRC_FPS,
        150,
        cases,
      ]),
      [
        "H.264 at 30000/1001 fps",
        await makeNumberedClip(`${dir}/ntsc.mp4`, { seconds: 4, fps: "30000/1001", codec: "x264" }),
        ntsc,
        120,
        [
          { position: 0 },
          { fps: 10, position: 1 },
          { fps: 7, position: 2.5 },
          { fps: 29.97, position: 0.5 },
        ],
      ],
    ];
    for (const [name, clip, srcFps, total, list] of runs) {
      const info = await probe(clip);
      assert.ok(Math.abs(info.fps - srcFps) < 1e-6, `${name}: fps ${info.fps}`);
      assert.equal(info.frameCount, total, `${name}: frameCount`);
      for (const c of list) {
        await t.step(`${name}: fps ${c.fps ?? "source"}, position ${c.position}`, async () => {
          const frames = await readAll(new FFmpegProducer({ format: "gray" }), clip, {
            info,
            ...c,
          });
          const played = expectedPlayedFrames(total, srcFps, c.fps, c.position);
          // the pixels say which source frame it is; time must agree with it
          for (const f of frames) {
            assert.equal(f.number, Math.round(f.time * srcFps), `frame ${f.index}`);
          }
          assert.deepEqual(frames.map((f) => f.index), played.map((_, k) => k));
          assert.deepEqual(frames.map((f) => f.number), played);
        });
      }
    }

    await t.step(
      "Player: position is whole seconds of the newest frame, fps is capped",
      async () => {
        const player = new Player(
          new FFmpegProducer({ format: "bgr24" }),
          clips["ffv1 (all intra)"],
          {},
        );
        const info = await player.open();
        assert.equal(info?.fps, 25);
        const seen: [number, number, number][] = [];
        for await (const frame of player.play({ fps: 7, position: 2.3 })) {
          assert.equal(player.fps, 7);
          assert.equal(player.time, frame.time);
          seen.push([frame.index, frameNumber(frame), player.position]);
        }
        const played = expectedPlayedFrames(150, SRC_FPS, 7, 2.3);
        assert.deepEqual(seen, played.map((j, k) => [k, j, Math.floor(j / SRC_FPS)]));
        assert.equal(player.framesPlayed, played.length);

        for await (const _ of player.play({ fps: 100 })) break;
        assert.equal(player.fps, 25, "fps above the source's plays at the source's");
      },
    );

    await t.step("a frame filter skips frames but indices and times stay right", async () => {
      const clip = clips["H.264 (GOP 12, B-frames)"];
      const info = await probe(clip);
      const filter = { expr: "not(mod(n+1,4))", test: (k: number) => (k + 1) % 4 === 0 };
      const got: [number, number][] = [];
      for await (
        const f of new FFmpegProducer({ format: "gray" }).read(clip, {
          info,
          fps: 10,
          position: 1.1,
          filter,
        })
      ) {
        assert.equal(frameNumber(f), Math.round(f.time * SRC_FPS));
        got.push([f.index, frameNumber(f)]);
      }
      const played = expectedPlayedFrames(150, SRC_FPS, 10, 1.1);
      const want = played.map((j, k) => [k, j] as [number, number]).filter(([k]) => filter.test(k));
      assert.deepEqual(got, want);
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("pixel formats: bgr24, rgb24 and gray of a known colour; sizes", async (t) => {
  await withTempDir(async (dir) => {
    const [r, g, b] = [200, 100, 50];
    const clip = await makeColorClip(`${dir}/colour.mp4`, [r, g, b], { width: 64, height: 48 });
    const info = await probe(clip);
    const first = async (producer: FFmpegProducer): Promise<Frame> => {
      for await (const frame of producer.read(clip, { info })) {
        return { ...frame, data: frame.data.slice() };
      }
      throw new Error("no frame");
    };
    const pixelsAre = (frame: Frame, want: number[]) => {
      const c = want.length;
      for (let i = 0; i < frame.data.length; i += c) {
        const px = Array.from(frame.data.subarray(i, i + c));
        if (px.some((v, k) => v !== want[k])) {
          assert.deepEqual(px, want, `pixel ${i / c} of ${frame.format}`);
        }
      }
    };

    await t.step("rgb24", async () => {
      const f = await first(new FFmpegProducer({ format: "rgb24" }));
      assert.deepEqual([f.width, f.height, f.format, f.data.length], [
        64,
        48,
        "rgb24",
        64 * 48 * 3,
      ]);
      pixelsAre(f, [r, g, b]);
    });
    await t.step("bgr24 (the default)", async () => {
      const f = await first(new FFmpegProducer());
      assert.deepEqual([f.width, f.height, f.format, f.data.length], [
        64,
        48,
        "bgr24",
        64 * 48 * 3,
      ]);
      pixelsAre(f, [b, g, r]);
    });
    await t.step("gray is the BT.601 luma", async () => {
      const f = await first(new FFmpegProducer({ format: "gray" }));
      assert.deepEqual([f.width, f.height, f.format, f.data.length], [64, 48, "gray", 64 * 48]);
      const luma = 0.299 * r + 0.587 * g + 0.114 * b; // 124.2
      for (const v of f.data) assert.ok(Math.abs(v - luma) <= 2, `gray ${v} vs luma ${luma}`);
    });
    await t.step("scaling to a requested size", async () => {
      for (
        const [opts, w, h] of [
          [{ width: 32, height: 24 }, 32, 24],
          [{ width: 160, height: 120 }, 160, 120],
          [{ width: 40, height: 40 }, 40, 40],
          [{ width: 32 }, 32, 24],
          [{ height: 96 }, 128, 96],
        ] as const
      ) {
        for (const format of ["bgr24", "rgb24", "gray"] as const) {
          const f = await first(new FFmpegProducer({ ...opts, format }));
          const channels = format === "gray" ? 1 : 3;
          assert.deepEqual([f.width, f.height], [w, h], JSON.stringify(opts));
          assert.equal(f.data.length, w * h * channels);
          if (format === "rgb24") pixelsAre(f, [r, g, b]);
          if (format === "bgr24") pixelsAre(f, [b, g, r]);
        }
      }
    });
    await t.step("bad producer options are input errors", () => {
      assert.throws(() => new FFmpegProducer({ width: 0 }), InputError);
      assert.throws(() => new FFmpegProducer({ height: 3.5 }), InputError);
      // deno-lint-ignore no-explicit-any
      assert.throws(() => new FFmpegProducer({ format: "yuv444p" as any }), InputError);
      assert.throws(() => new FFmpegProducer({ threads: -1 }), InputError);
      assert.throws(() => new FFmpegProducer({ filterThreads: 1.5 }), InputError);
      assert.throws(() => new FFmpegProducer({ scaleFlags: "bilinear,format=gray" }), InputError);
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("breaking out of the loop early leaves no ffmpeg running", async () => {
  await withTempDir(async (dir) => {
    // long enough that ffmpeg is still producing when the loop stops
    const clip = await makeTestsrc(`${dir}/long.mp4`, { seconds: 20, width: 160, height: 120 });
    const info = await probe(clip);
    let n = 0;
    for await (const frame of new FFmpegProducer().read(clip, { info })) {
      assert.equal(frame.index, n);
      if (++n === 3) break;
    }
    assert.equal(n, 3);
    await assertNoFfmpeg(dir);

    // return() on the generator does the same
    const it = new FFmpegProducer({ format: "gray" }).read(clip, { info, fps: 5, position: 3 });
    assert.equal((await it.next()).done, false);
    await it.return();
    await assertNoFfmpeg(dir);

    // an exception inside the loop too
    const player = new Player(new FFmpegProducer({ width: 32 }), clip);
    await assert.rejects(async () => {
      for await (const frame of player.play({ fps: 10 })) {
        if (frame.index === 2) throw new Error("stop here");
      }
    }, /stop here/);
    await assertNoFfmpeg(dir);
  });
});

Deno.test("bad sources and positions are input errors, with no ffmpeg left", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/ok.mp4`, { seconds: 2 });
    const info = await probe(clip);
    const text = await writeText(`${dir}/text.mp4`, "this is not a video\n");
    const drain = async (it: AsyncGenerator<Frame>) => {
      for await (const _ of it) { /* read to the end */ }
    };
    await assert.rejects(() => probe(`${dir}/missing.mp4`), SourceError);
    await assert.rejects(() => probe(text), SourceError);
    await assert.rejects(() => probe("-i"), SourceError);
    await assert.rejects(() => drain(new FFmpegProducer().read(text, { info })), SourceError);
    await assert.rejects(
      () => drain(new FFmpegProducer().read(`${dir}/nope.mp4`, { info })),
      SourceError,
    );
    await assert.rejects(
      () => drain(new FFmpegProducer().read(clip, { info, position: 5 })),
      InputError,
    );
    await assert.rejects(
      () => drain(new FFmpegProducer().read(clip, { info, position: -1 })),
      InputError,
    );
    await assertNoFfmpeg(dir);
  });
});

Deno.test("ffmpeg arguments: select before scale and format; area by default; threads", () => {
  const info = { width: 1920, height: 1080, fps: 25, frameCount: 250, duration: 10, live: false };
  const filter = { expr: "not(mod(n,5))", test: (k: number) => k % 5 === 0 };
  const clip = new URL(import.meta.url).pathname; // any existing file: nothing runs
  const vf = (args: string[]) => args[args.indexOf("-vf") + 1];
  const plain = new FFmpegProducer({ width: 640, height: 360, format: "yuv420p" });
  const chain = vf(plain.args(clip, { info, fps: 10, filter })).split(",");
  // frames nobody reads are dropped before they are scaled or converted
  const at = (prefix: string) => chain.findIndex((f) => f.startsWith(prefix));
  assert.ok(at("showinfo") === 0 && at("select") > 0, chain.join(","));
  assert.equal(chain.filter((f) => f.startsWith("select")).length, 2, "fps and frame filter");
  assert.ok(at("scale=") > chain.findLastIndex((f) => f.startsWith("select")), chain.join(","));
  assert.equal(chain.at(-1), "format=yuv420p");
  assert.equal(chain[at("scale=")], "scale=640:360:flags=area");
  const args = plain.args(clip, { info });
  assert.equal(args[args.indexOf("-pix_fmt") + 1], "yuv420p");
  assert.ok(!args.includes("-threads") && !args.includes("-filter_threads"));

  const tuned = new FFmpegProducer({
    width: 640,
    scaleFlags: "bicubic",
    threads: 2,
    filterThreads: 1,
  });
  const targs = tuned.args(clip, { info });
  assert.ok(vf(targs).includes("scale=640:360:flags=bicubic"));
  assert.ok(targs.indexOf("-threads") < targs.indexOf("-i"), "-threads is a decoder option");
  assert.equal(targs[targs.indexOf("-threads") + 1], "2");
  assert.equal(targs[targs.indexOf("-filter_threads") + 1], "1");
});
