/**
 * Canvas primitives, checked against pixel sets computed here: clipping at the frame's edges,
 * Bresenham lines, even-odd polygon fills by pixel centres, and alpha blending.
 */
import assert from "node:assert/strict";
import type { Frame } from "../frame.ts";
import { Canvas, type Point } from "./canvas.ts";

function gray(width: number, height: number, fill = 0): Frame {
  return {
    data: new Uint8Array(width * height).fill(fill),
    width,
    height,
    format: "gray",
    index: 0,
    source: "main",
    time: 0,
  };
}

/** The set pixels of a gray frame, as "x,y", in row order. */
function lit(frame: Frame, background = 0): string[] {
  const out: string[] = [];
  frame.data.forEach((v, i) => {
    if (v !== background) out.push(`${i % frame.width},${Math.floor(i / frame.width)}`);
  });
  return out;
}

function cells(test: (x: number, y: number) => boolean, width: number, height: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (test(x, y)) out.push(`${x},${y}`);
  }
  return out;
}

const WHITE = [255, 255, 255] as const;

Deno.test("canvas: rectangles are clipped at every edge", () => {
  const f = gray(20, 10);
  const c = new Canvas(f);
  c.fillRect(-5, -5, 3, 2, WHITE);
  c.fillRect(18, 8, 40, 40, WHITE);
  c.fillRect(-100, 5, 1000, 6, WHITE);
  c.rect(-10, -10, 1000, 1000, WHITE, 3); // entirely outside but for nothing: its lines are off-frame
  const want = cells(
    (x, y) => (x < 3 && y < 2) || (x >= 18 && y >= 8) || y === 5,
    20,
    10,
  );
  assert.deepEqual(lit(f), want);
});

Deno.test("canvas: a rectangle outline lies inside its corners, with its thickness", () => {
  const f = gray(30, 30);
  new Canvas(f).rect(5, 6, 25, 20, WHITE, 3);
  const inBox = (x: number, y: number) => x >= 5 && x < 25 && y >= 6 && y < 20;
  const inHole = (x: number, y: number) => x >= 8 && x < 22 && y >= 9 && y < 17;
  assert.deepEqual(lit(f), cells((x, y) => inBox(x, y) && !inHole(x, y), 30, 30));
  const tiny = gray(10, 10);
  new Canvas(tiny).rect(2, 2, 5, 5, WHITE, 2); // thicker than half: filled
  assert.deepEqual(lit(tiny), cells((x, y) => x >= 2 && x < 5 && y >= 2 && y < 5, 10, 10));
});

Deno.test("canvas: lines are Bresenham's, clipped, with thickness across them", () => {
  const f = gray(50, 40);
  new Canvas(f).line(-100, -100, 200, 200, WHITE);
  assert.deepEqual(lit(f), cells((x, y) => x === y, 50, 40));

  const g = gray(12, 6);
  new Canvas(g).line(0, 0, 11, 3, WHITE);
  // Bresenham from (0,0) to (11,3): y steps at x = 2, 6, 9 (error rounding of 3/11 per step).
  const ys = Array.from({ length: 12 }, (_, x) => Math.round((x * 3) / 11));
  assert.deepEqual(lit(g), cells((x, y) => y === ys[x], 12, 6));

  const h = gray(20, 20);
  new Canvas(h).line(2, 10, 17, 10, WHITE, 3);
  assert.deepEqual(lit(h), cells((x, y) => x >= 2 && x <= 17 && y >= 9 && y <= 11, 20, 20));
  const v = gray(20, 20);
  new Canvas(v).line(0, -5, 0, 30, WHITE, 4); // at the left edge: half of it is off-frame
  assert.deepEqual(lit(v), cells((x) => x <= 2, 20, 20));
});

Deno.test("canvas: polygons fill the pixels whose centres are inside (even-odd), clipped", () => {
  const square = gray(12, 12);
  new Canvas(square).polygon([[2, 2], [10, 2], [10, 8], [2, 8]], { fill: WHITE });
  assert.deepEqual(lit(square), cells((x, y) => x >= 2 && x < 10 && y >= 2 && y < 8, 12, 12));

  const tri: Point[] = [[-10, 25], [15, -8], [40, 30]];
  const f = gray(30, 24);
  new Canvas(f).polygon(tri, { fill: WHITE });
  const inside = (px: number, py: number) => {
    let odd = false;
    for (let i = 0, j = tri.length - 1; i < tri.length; j = i++) {
      const [ax, ay] = tri[j];
      const [bx, by] = tri[i];
      if ((ay <= py) !== (by <= py) && px < ax + ((py - ay) * (bx - ax)) / (by - ay)) odd = !odd;
    }
    return odd;
  };
  assert.deepEqual(lit(f), cells((x, y) => inside(x + 0.5, y + 0.5), 30, 24));

  const outlined = gray(12, 12);
  new Canvas(outlined).polygon([[1, 1], [10, 1], [10, 10], [1, 10]], { color: WHITE });
  const border = (x: number, y: number) =>
    (x === 1 || x === 10) && y >= 1 && y <= 10 || (y === 1 || y === 10) && x >= 1 && x <= 10;
  assert.deepEqual(lit(outlined), cells(border, 12, 12));
});

Deno.test("canvas: translucent fills blend round(old + (new - old) * alpha) per channel", () => {
  const f: Frame = {
    ...gray(4, 1),
    data: new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]),
    format: "rgb24",
  };
  new Canvas(f).fillRect(1, 0, 3, 1, [200, 0, 255], 0.25);
  const blend = (o: number, n: number) => Math.round(o + (n - o) * 0.25);
  assert.deepEqual(Array.from(f.data), [
    10,
    20,
    30,
    blend(40, 200),
    blend(50, 0),
    blend(60, 255),
    blend(70, 200),
    blend(80, 0),
    blend(90, 255),
    100,
    110,
    120,
  ]);
  const zone = gray(10, 10, 100);
  new Canvas(zone).polygon([[0, 0], [5, 0], [5, 5], [0, 5]], { fill: WHITE, fillAlpha: 0.5 });
  assert.deepEqual(lit(zone, 100), cells((x, y) => x < 5 && y < 5, 10, 10));
  assert.equal(zone.data[0], 178); // round(100 + 155 * 0.5) = round(177.5)
  const none = gray(4, 4);
  new Canvas(none).fillRect(0, 0, 4, 4, WHITE, 0);
  assert.deepEqual(lit(none), []);
});

Deno.test("canvas: not-finite coordinates draw nothing; unknown formats are refused", () => {
  const f = gray(10, 10);
  const c = new Canvas(f);
  c.line(NaN, 0, 5, 5, WHITE);
  c.rect(NaN, 0, 5, 5, WHITE);
  c.fillRect(0, NaN, 3, 3, WHITE);
  c.polygon([[0, 0], [NaN, 3], [4, 4]], { fill: WHITE });
  assert.deepEqual(lit(f), []);
  // Infinite far corners: the edges that are on the frame are drawn.
  c.rect(0, 0, Infinity, Infinity, WHITE);
  assert.deepEqual(lit(f), cells((x, y) => x === 0 || y === 0, 10, 10));
  assert.throws(
    () => new Canvas({ ...f, format: "rgba" as never }),
    /drawing on rgba frames is not supported/,
  );
  assert.throws(() => new Canvas({ ...f, format: "bgr24" }), /needs 300 bytes, it has 100/);
});
