/**
 * The YUV pixel formats end to end: known colours go through ffmpeg as `yuv420p` / `nv12`
 * frames and come back as `bgr24`, `rgb24` and `gray` through `convertFrame` / `frameAs`
 * (lazy conversion), within the tolerance that 8-bit YUV and 4:2:0 chroma allow (computed
 * here from the BT.601 coefficients, not taken from the library).
 */
import assert from "node:assert/strict";
import {
  convertFrame,
  FFmpegProducer,
  type Frame,
  frameAs,
  frameBytes,
  isYuv,
  type PixelFormat,
  probe,
} from "../mod.ts";
import { assertNoFfmpeg, ffmpeg, makeTestsrc, withTempDir } from "./helpers.ts";

type RGB = [number, number, number];

/** The four quadrant colours (top-left, top-right, bottom-left, bottom-right). */
const QUADRANTS: RGB[] = [[200, 100, 50], [20, 180, 240], [255, 255, 255], [0, 0, 0]];
const EXTRA: RGB[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]];

/**
 * Per channel (R, G, B), the worst error of 8-bit BT.601 limited-range YUV: Y, U and V are
 * each off by up to one level (ffmpeg's fixed-point RGB to YUV does not round exactly), and
 * the output rounds by half a level.
 */
const TOLERANCE: RGB = (() => {
  const ky = 255 / 219;
  const kc = 255 / 224;
  const rv = 1.402 * kc;
  const gu = (1.772 * 0.114 / 0.587) * kc;
  const gv = (1.402 * 0.299 / 0.587) * kc;
  const bu = 1.772 * kc;
  return [ky + rv + 0.5, ky + gu + gv + 0.5, ky + bu + 0.5].map(Math.ceil) as RGB;
})();
/** Gray goes through Y only: one level of Y, and the rounding. */
const GRAY_TOLERANCE = Math.ceil(255 / 219 + 0.5);

const luma = ([r, g, b]: RGB) => 0.299 * r + 0.587 * g + 0.114 * b;

/** A clip of four flat quadrants, each `w/2 x h/2`, encoded losslessly in RGB. */
async function quadrantClip(path: string, w: number, h: number, colours: RGB[]) {
  const hex = (c: RGB) => "0x" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
  const part = (c: RGB, label: string) =>
    `color=c=${hex(c)}:s=${w / 2}x${h / 2}:r=25:d=0.2[${label}]`;
  const graph = [
    part(colours[0], "a"),
    part(colours[1], "b"),
    part(colours[2], "c"),
    part(colours[3], "d"),
    "[a][b]hstack[top]",
    "[c][d]hstack[bottom]",
    "[top][bottom]vstack,format=gbrp[out]",
  ].join(";");
  await ffmpeg(["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264rgb", "-qp", "0", path]);
  return path;
}

/** The expected colour at (x, y) of a quadrant frame, or undefined within `margin` of an edge. */
function colourAt(x: number, y: number, w: number, h: number, colours: RGB[], margin: number) {
  if (Math.abs(x + 0.5 - w / 2) < margin || Math.abs(y + 0.5 - h / 2) < margin) return undefined;
  return colours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)];
}

/**
 * Checks every pixel of a packed frame against the quadrants: exact within {@link TOLERANCE}
 * away from the colour edges; within `margin` of an edge (where 4:2:0 chroma mixes the two
 * sides) each channel lies between the neighbouring colours', with the same tolerance.
 */
function assertQuadrants(frame: Frame, colours: RGB[], margin: number, what: string) {
  const { width: w, height: h, format } = frame;
  const c = format === "gray" ? 1 : 3;
  assert.equal(frame.data.length, w * h * c, what);
  const order = format === "bgr24" ? [2, 1, 0] : [0, 1, 2];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = (y * w + x) * c;
      const want = colourAt(x, y, w, h, colours, margin);
      for (let k = 0; k < c; k++) {
        const got = frame.data[at + k];
        const channel = order[k];
        const value = (rgb: RGB) => format === "gray" ? luma(rgb) : rgb[channel];
        const tol = format === "gray" ? GRAY_TOLERANCE : TOLERANCE[channel];
        const [lo, hi] = want
          ? [value(want), value(want)]
          : [Math.min(...colours.map(value)), Math.max(...colours.map(value))];
        if (got < lo - tol || got > hi + tol) {
          assert.fail(
            `${what}: pixel (${x}, ${y}) channel ${k} is ${got}, want ${
              lo === hi ? lo.toFixed(1) : `${lo.toFixed(1)}..${hi.toFixed(1)}`
            } ± ${tol}`,
          );
        }
      }
    }
  }
}

async function firstFrame(clip: string, producer: FFmpegProducer): Promise<Frame> {
  const info = await probe(clip);
  for await (const frame of producer.read(clip, { info })) {
    return { ...frame, data: frame.data.slice() };
  }
  throw new Error("no frame");
}

Deno.test("frameBytes and isYuv of the YUV formats (odd sides round the chroma up)", () => {
  assert.equal(frameBytes(1920, 1080, "yuv420p"), 1920 * 1080 * 1.5);
  assert.equal(frameBytes(1920, 1080, "nv12"), 1920 * 1080 * 1.5);
  assert.equal(frameBytes(33, 25, "yuv420p"), 33 * 25 + 2 * 17 * 13);
  assert.ok(isYuv("yuv420p") && isYuv("nv12") && !isYuv("gray") && !isYuv("bgr24"));
});

Deno.test("known colours through yuv420p and nv12, converted to bgr24, rgb24 and gray", async (t) => {
  await withTempDir(async (dir) => {
    for (const colours of [QUADRANTS, EXTRA]) {
      const clip = await quadrantClip(`${dir}/q${colours[0].join("-")}.mp4`, 64, 48, colours);
      for (const format of ["yuv420p", "nv12"] as const) {
        await t.step(`${format}: ${JSON.stringify(colours)}`, async () => {
          const f = await firstFrame(clip, new FFmpegProducer({ format }));
          assert.deepEqual([f.width, f.height, f.format], [64, 48, format]);
          assert.equal(f.data.length, 64 * 48 * 3 / 2);
          // ffmpeg's chroma down-sampling filter reaches one chroma sample (2 pixels) across
          for (const to of ["bgr24", "rgb24", "gray"] as const) {
            assertQuadrants(convertFrame(f, to), colours, to === "gray" ? 0 : 3, `${format}>${to}`);
          }
          // gray comes from the Y plane alone, and agrees with ffmpeg's own gray
          const gray = await firstFrame(clip, new FFmpegProducer({ format: "gray" }));
          const ours = convertFrame(f, "gray").data;
          for (let i = 0; i < ours.length; i++) {
            assert.ok(Math.abs(ours[i] - gray.data[i]) <= GRAY_TOLERANCE, `gray pixel ${i}`);
          }
        });
      }
    }
    await t.step("the same YUV samples as yuv420p and as nv12 convert alike", async () => {
      const clip = await quadrantClip(`${dir}/same.mp4`, 64, 48, QUADRANTS);
      const a = await firstFrame(clip, new FFmpegProducer({ format: "yuv420p" }));
      // interleave U and V by hand (ffmpeg's own nv12 may round its chroma differently)
      const data = a.data.slice();
      const y = 64 * 48;
      const c = 32 * 24;
      for (let i = 0; i < c; i++) {
        data[y + 2 * i] = a.data[y + i];
        data[y + 2 * i + 1] = a.data[y + c + i];
      }
      const b: Frame = { ...a, data, format: "nv12" };
      for (const size of [{}, { width: 20, height: 14 }]) {
        for (const to of ["bgr24", "rgb24", "gray"] as const) {
          assert.deepEqual(convertFrame(a, to, size).data, convertFrame(b, to, size).data, to);
        }
      }
    });
    await t.step("odd sizes: the chroma planes round up", async () => {
      const clip = await quadrantClip(`${dir}/odd.mp4`, 64, 48, QUADRANTS);
      for (const format of ["yuv420p", "nv12"] as const) {
        const f = await firstFrame(clip, new FFmpegProducer({ format, width: 33, height: 25 }));
        assert.equal(f.data.length, frameBytes(33, 25, format));
        const bgr = convertFrame(f, "bgr24");
        // the top-left corner is well inside the first quadrant
        const [b, g, r] = bgr.data.subarray(0, 3);
        const want = QUADRANTS[0];
        assert.ok(
          Math.abs(r - want[0]) <= TOLERANCE[0] && Math.abs(g - want[1]) <= TOLERANCE[1] &&
            Math.abs(b - want[2]) <= TOLERANCE[2],
          `corner ${[r, g, b]} vs ${want}`,
        );
      }
    });
    await assertNoFfmpeg(dir);
  });
});

Deno.test("a yuv420p frame converts to the bytes of ffmpeg's own bgr24 and gray", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeTestsrc(`${dir}/testsrc.mp4`, { width: 160, height: 120 });
    const yuv = await firstFrame(clip, new FFmpegProducer({ format: "yuv420p" }));
    // ffmpeg's fixed-point conversion is reproduced exactly for its x86 code; elsewhere its
    // arithmetic differs by a level
    const slack = Deno.build.arch === "x86_64" ? 0 : 1;
    for (const format of ["bgr24", "rgb24", "gray"] as const) {
      const theirs = (await firstFrame(clip, new FFmpegProducer({ format }))).data;
      const ours = convertFrame(yuv, format).data;
      assert.equal(ours.length, theirs.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
      assert.ok(worst <= slack, `${format}: off by up to ${worst} levels`);
    }
    await assertNoFfmpeg(dir);
  });
});

Deno.test("frameAs converts once per frame, format and size, at the size asked", async () => {
  await withTempDir(async (dir) => {
    const clip = await quadrantClip(`${dir}/q.mp4`, 64, 48, QUADRANTS);
    const yuv = await firstFrame(clip, new FFmpegProducer({ format: "yuv420p" }));
    const bgr = frameAs(yuv, "bgr24");
    assert.equal(frameAs(yuv, "bgr24"), bgr, "the second ask reuses the first conversion");
    assert.equal(frameAs({ ...yuv }, "bgr24"), bgr, "copies of the frame share it");
    assert.equal(frameAs(bgr, "bgr24"), bgr, "a frame already in the format is itself");
    assert.deepEqual([bgr.index, bgr.time, bgr.source], [yuv.index, yuv.time, yuv.source]);
    const small = frameAs(yuv, "rgb24", { width: 32, height: 24 });
    assert.notEqual(small, frameAs(yuv, "rgb24"));
    assert.deepEqual([small.width, small.height, small.format], [32, 24, "rgb24"]);
    // halved, each quadrant is 16x12: bilinear mixing reaches one pixel (plus chroma's two)
    assertQuadrants(small, QUADRANTS, 2, "yuv420p>rgb24 32x24");
    // packed frames resize and convert too
    const rgb = await firstFrame(clip, new FFmpegProducer({ format: "rgb24" }));
    assertQuadrants(convertFrame(rgb, "bgr24", { width: 16, height: 12 }), QUADRANTS, 1, "rgb>bgr");
    assertQuadrants(
      convertFrame(rgb, "gray", { width: 128, height: 96 }),
      QUADRANTS,
      1,
      "rgb>gray",
    );
    // a new frame in the same buffer is a new conversion
    const again = { ...yuv, data: new Uint8Array(yuv.data.buffer) };
    assert.notEqual(frameAs(again, "bgr24"), bgr);
    assert.throws(() => convertFrame(yuv, "yuv420p" as "gray"), RangeError);
    assert.throws(() => convertFrame({ ...yuv, data: yuv.data.subarray(1) }, "gray"), RangeError);
  });
});

Deno.test("every format through the producer has frameBytes(width, height, format) bytes", async () => {
  await withTempDir(async (dir) => {
    const clip = await quadrantClip(`${dir}/q.mp4`, 64, 48, QUADRANTS);
    const formats: PixelFormat[] = ["bgr24", "rgb24", "gray", "yuv420p", "nv12"];
    for (const format of formats) {
      for (const [w, h] of [[64, 48], [32, 24], [30, 18]]) {
        const f = await firstFrame(clip, new FFmpegProducer({ format, width: w, height: h }));
        assert.equal(f.data.length, frameBytes(w, h, format), `${format} ${w}x${h}`);
      }
    }
    await assertNoFfmpeg(dir);
  });
});
