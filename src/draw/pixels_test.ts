/**
 * Colour conversion against real ffmpeg (its default rgb24 -> gray and -> yuv, BT.601 limited
 * range for yuv), and the planar writers: a box's colour on the Y, U and V planes of `yuv420p`
 * and `nv12` layouts.
 */
import assert from "node:assert/strict";
import type { Frame, PixelFormat } from "../frame.ts";
import { ffmpeg, withTempDir } from "../../tests/helpers.ts";
import { Canvas } from "./canvas.ts";
import { PALETTE } from "./color.ts";
import { type Color, lumaOf, yuvOf } from "./pixels.ts";

const COLORS: Color[] = [
  [255, 255, 255],
  [0, 0, 0],
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  ...PALETTE,
];

/** Converts one pixel per colour with ffmpeg; returns the output planes' bytes. */
async function ffmpegConvert(pixFmt: string): Promise<Uint8Array> {
  return await withTempDir(async (dir) => {
    const rgb = Uint8Array.from(COLORS.flatMap((c) => [...c, ...c]));
    await Deno.writeFile(`${dir}/in.rgb`, rgb);
    await ffmpeg([
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `2x${COLORS.length}`, "-i", `${dir}/in.rgb`],
      ...["-pix_fmt", pixFmt, "-f", "rawvideo", `${dir}/out.raw`],
    ]);
    return await Deno.readFile(`${dir}/out.raw`);
  });
}

Deno.test("pixels: gray and BT.601 limited-range yuv colours match ffmpeg's conversion within 1", async () => {
  const gray = await ffmpegConvert("gray");
  const yuv = await ffmpegConvert("yuv444p");
  const n = COLORS.length * 2;
  COLORS.forEach((c, i) => {
    assert.ok(
      Math.abs(lumaOf(c) - gray[i * 2]) <= 1,
      `gray of ${c}: ${lumaOf(c)} vs ${gray[i * 2]}`,
    );
    const [y, u, v] = yuvOf(c);
    const want = [yuv[i * 2], yuv[n + i * 2], yuv[2 * n + i * 2]];
    assert.ok(
      Math.abs(y - want[0]) <= 1 && Math.abs(u - want[1]) <= 1 && Math.abs(v - want[2]) <= 1,
      `yuv of ${c}: ${[y, u, v]} vs ffmpeg ${want}`,
    );
  });
});

function planar(format: "yuv420p" | "nv12", width: number, height: number): Frame {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const data = new Uint8Array(width * height + 2 * cw * ch);
  data.fill(16, 0, width * height).fill(128, width * height);
  // Cast: the test stands whether or not the PixelFormat union of src/frame.ts lists them.
  return { data, width, height, format: format as PixelFormat, index: 0, source: "main", time: 0 };
}

for (const format of ["yuv420p", "nv12"] as const) {
  Deno.test(`pixels: a filled box on ${format} sets Y in the box and U, V in its 2x2 blocks`, () => {
    const [w, h] = [16, 12];
    const f = planar(format, w, h);
    const color: Color = [255, 56, 56];
    const [Y, U, V] = yuvOf(color);
    new Canvas(f).fillRect(4, 2, 10, 8, color);
    const cw = w / 2;
    const uAt = (cx: number, cy: number) =>
      format === "nv12" ? f.data[w * h + cy * w + 2 * cx] : f.data[w * h + cy * cw + cx];
    const vAt = (cx: number, cy: number) =>
      format === "nv12"
        ? f.data[w * h + cy * w + 2 * cx + 1]
        : f.data[w * h + cw * (h / 2) + cy * cw + cx];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inside = x >= 4 && x < 10 && y >= 2 && y < 8;
        assert.equal(f.data[y * w + x], inside ? Y : 16, `Y at ${x},${y}`);
      }
    }
    for (let cy = 0; cy < h / 2; cy++) {
      for (let cx = 0; cx < cw; cx++) {
        const inside = cx >= 2 && cx < 5 && cy >= 1 && cy < 4;
        assert.equal(uAt(cx, cy), inside ? U : 128, `U at ${cx},${cy}`);
        assert.equal(vAt(cx, cy), inside ? V : 128, `V at ${cx},${cy}`);
      }
    }
  });
}

Deno.test("pixels: a translucent fill on yuv420p blends each chroma sample once", () => {
  const f = planar("yuv420p", 8, 8);
  new Canvas(f).fillRect(0, 0, 8, 8, [255, 255, 255], 0.5);
  const [Y, U] = yuvOf([255, 255, 255]);
  assert.equal(f.data[0], Math.round(16 + (Y - 16) * 0.5));
  assert.ok(f.data.subarray(64).every((v) => v === Math.round(128 + (U - 128) * 0.5)));
  const red = planar("yuv420p", 8, 8);
  new Canvas(red).fillRect(0, 0, 8, 8, [255, 0, 0], 0.5);
  const [, , V] = yuvOf([255, 0, 0]);
  assert.ok(red.data.subarray(64 + 16).every((v) => v === Math.round(128 + (V - 128) * 0.5)));
});

Deno.test("pixels: a box drawn on yuv420p decodes to its colour with ffmpeg (within 3 levels)", async () => {
  const [w, h] = [64, 48];
  const f = planar("yuv420p", w, h);
  const color: Color = [255, 56, 56];
  new Canvas(f).rect(8, 8, 40, 32, color, 4);
  const rgb = await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/in.yuv`, f.data);
    await ffmpeg([
      ...["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${w}x${h}`, "-i", `${dir}/in.yuv`],
      ...["-pix_fmt", "rgb24", "-f", "rawvideo", `${dir}/out.rgb`],
    ]);
    return await Deno.readFile(`${dir}/out.rgb`);
  });
  const at = (x: number, y: number) =>
    Array.from(rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));
  for (const [x, y] of [[9, 9], [20, 10], [38, 20], [10, 30]]) {
    const got = at(x, y);
    assert.ok(got.every((v, k) => Math.abs(v - color[k]) <= 3), `box at ${x},${y}: ${got}`);
  }
  for (const [x, y] of [[2, 2], [20, 20], [50, 40]]) {
    assert.ok(at(x, y).every((v) => v === 0), `untouched black at ${x},${y}: ${at(x, y)}`);
  }
});
