/**
 * `bgr24`/`rgb24` frames converted in this process (ffmpeg pipes YUV 4:2:0, libswscale converts
 * through FFI) against ffmpeg's own conversion (`colorConversion: "ffmpeg"`): the same bytes at
 * the source's size for limited-range BT.601, tagged BT.709 and full-range (MJPEG) sources;
 * close to them when ffmpeg also resizes; and ffmpeg converting whenever the fast path does
 * not apply (no FFI, a source that is not 4:2:0, an odd size, gray frames).
 */
import assert from "node:assert/strict";
import { FFmpegProducer, type PixelFormat, probe, type SourceInfo } from "../mod.ts";
import { assertNoFfmpeg, CAR_CLIP, ffmpeg, makeTestsrc, withTempDir } from "./helpers.ts";

async function frames(
  clip: string,
  info: SourceInfo,
  options: ConstructorParameters<typeof FFmpegProducer>[0],
  count = 25,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const frame of new FFmpegProducer(options).read(clip, { info })) {
    out.push(frame.data.slice());
    if (out.length === count) break;
  }
  return out;
}

/** Largest and mean absolute difference over all bytes of all frames. */
function difference(a: Uint8Array[], b: Uint8Array[]): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0, sum = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].length, b[i].length);
    for (let j = 0; j < a[i].length; j++) {
      const d = Math.abs(a[i][j] - b[i][j]);
      if (d > max) max = d;
      sum += d;
    }
    n += a[i].length;
  }
  return { max, mean: sum / n };
}

/** A testsrc2 clip in the given pixel format, codec and colour tags. */
async function clipOf(path: string, pixFmt: string, codec: string[], tags: string[] = []) {
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=s=160x120:r=25:d=1",
    "-pix_fmt",
    pixFmt,
    ...codec,
    ...tags,
    path,
  ]);
  return path;
}

const SOURCES = [
  { name: "untagged yuv420p (BT.601)", file: "plain.mp4", pix: "yuv420p", space: undefined },
  {
    name: "BT.709-tagged yuv420p",
    file: "bt709.mp4",
    pix: "yuv420p",
    space: "bt709",
    tags: ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"],
  },
  {
    name: "full-range yuvj420p (MJPEG)",
    file: "full.avi",
    pix: "yuvj420p",
    space: "bt470bg",
    codec: ["-c:v", "mjpeg"],
  },
];

for (const source of SOURCES) {
  Deno.test({
    name: `color conversion: ${source.name} converted here gives ffmpeg's very bytes`,
    sanitizeOps: true,
    sanitizeResources: true,
    async fn() {
      await withTempDir(async (dir) => {
        const clip = await clipOf(
          `${dir}/${source.file}`,
          source.pix,
          source.codec ?? ["-c:v", "libx264", "-preset", "ultrafast"],
          source.tags,
        );
        const info = await probe(clip);
        assert.equal(info.pixelFormat, source.pix);
        assert.equal(info.colorSpace, source.space);
        for (const format of ["bgr24", "rgb24"] as PixelFormat[]) {
          const here = new FFmpegProducer({ format });
          assert.equal(here.transport(info), source.pix, "converted in this process");
          assert.ok(here.args(clip, { info }).join(" ").includes(`format=${source.pix} `));
          const ours = await frames(clip, info, { format });
          const theirs = await frames(clip, info, { format, colorConversion: "ffmpeg" });
          assert.equal(ours.length, 25);
          assert.deepEqual(difference(ours, theirs), { max: 0, mean: 0 }, format);
        }
        await assertNoFfmpeg(dir);
      });
    },
  });
}

Deno.test({
  name: "color conversion: resized by ffmpeg in YUV, then converted here: close to ffmpeg's " +
    "one-pass resize and conversion on real video",
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    const info = await probe(CAR_CLIP);
    for (const [width, height] of [[384, 216], [1280, 720]]) {
      const ours = await frames(CAR_CLIP, info, { width, height, format: "rgb24" });
      const theirs = await frames(CAR_CLIP, info, {
        width,
        height,
        format: "rgb24",
        colorConversion: "ffmpeg",
      });
      const { max, mean } = difference(ours, theirs);
      // 4:2:0 chroma at the output size instead of the source's: a level or two on average
      assert.ok(max <= 8 && mean <= 1.5, `${width}x${height}: max ${max}, mean ${mean}`);
    }
  },
});

Deno.test("color conversion: ffmpeg converts when the fast path does not apply", () => {
  const info: SourceInfo = {
    width: 640,
    height: 360,
    fps: 25,
    frameCount: 25,
    duration: 1,
    live: false,
    pixelFormat: "yuv420p",
  };
  assert.equal(new FFmpegProducer().transport(info), "yuv420p");
  assert.equal(new FFmpegProducer().transport({ ...info, colorSpace: "bt709" }), "yuv420p");
  const ffmpegConverts: [string, FFmpegProducer, SourceInfo | undefined][] = [
    ["asked to", new FFmpegProducer({ colorConversion: "ffmpeg" }), info],
    ["gray", new FFmpegProducer({ format: "gray" }), info],
    ["yuv420p frames", new FFmpegProducer({ format: "yuv420p" }), info],
    ["4:4:4", new FFmpegProducer(), { ...info, pixelFormat: "yuv444p" }],
    ["10-bit", new FFmpegProducer(), { ...info, pixelFormat: "yuv420p10le" }],
    ["no pixel format", new FFmpegProducer(), { ...info, pixelFormat: undefined }],
    ["unknown matrix", new FFmpegProducer(), { ...info, colorSpace: "ictcp" }],
    ["odd width", new FFmpegProducer({ width: 321, height: 180 }), info],
    ["live, no info", new FFmpegProducer(), undefined],
  ];
  for (const [why, producer, i] of ffmpegConverts) {
    assert.equal(producer.transport(i), undefined, why);
    const args = producer.args(CAR_CLIP, { info: i });
    assert.equal(args.at(-2), producer.format, `${why}: ffmpeg pipes ${producer.format}`);
  }
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new FFmpegProducer({ colorConversion: "opencv" as any }),
    /colorConversion must be auto or ffmpeg/,
  );
});

Deno.test({
  name: "color conversion: without FFI permission ffmpeg converts, with the same frames",
  permissions: { ffi: false, read: true, write: true, run: true, env: true, sys: true },
  sanitizeOps: true,
  sanitizeResources: true,
  async fn() {
    await withTempDir(async (dir) => {
      const clip = await makeTestsrc(`${dir}/clip.mp4`, { seconds: 1 });
      const info = await probe(clip);
      const producer = new FFmpegProducer({ format: "bgr24" });
      assert.equal(producer.transport(info), undefined);
      const got = await frames(clip, info, { format: "bgr24" });
      assert.equal(got.length, 25);
      assert.equal(got[0].length, 160 * 120 * 3);
    });
  },
});
