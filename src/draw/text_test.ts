/**
 * The built-in font renders the same glyphs every run: rendered text matches a bitmap computed
 * here from the font table, and the table and a rendering hash to fixed values.
 */
import assert from "node:assert/strict";
import type { Frame } from "../frame.ts";
import { Canvas } from "./canvas.ts";
import { FONT_5X7 } from "./font.ts";
import { drawText, textHeight, textWidth } from "./text.ts";

function gray(width: number, height: number): Frame {
  return {
    data: new Uint8Array(width * height),
    width,
    height,
    format: "gray",
    index: 0,
    source: "main",
    time: 0,
  };
}

/** The text's bitmap at `scale`, from the font table: `#` for ink, `.` for none. */
function bitmap(
  text: string,
  scale: number,
  width: number,
  height: number,
  x0: number,
  y0: number,
): string[] {
  const rows = Array.from({ length: height }, () => Array(width).fill("."));
  [...text].forEach((ch, i) => {
    const code = ch.charCodeAt(0);
    const o = ((code >= 32 && code <= 126 ? code : 63) - 32) * 5;
    for (let c = 0; c < 5; c++) {
      for (let r = 0; r < 7; r++) {
        if (!((FONT_5X7[o + c] >> r) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = x0 + (i * 6 + c) * scale + dx;
            const y = y0 + r * scale + dy;
            if (x >= 0 && y >= 0 && x < width && y < height) rows[y][x] = "#";
          }
        }
      }
    }
  });
  return rows.map((r) => r.join(""));
}

function rendered(frame: Frame): string[] {
  const rows: string[] = [];
  for (let y = 0; y < frame.height; y++) {
    let row = "";
    for (let x = 0; x < frame.width; x++) row += frame.data[y * frame.width + x] ? "#" : ".";
    rows.push(row);
  }
  return rows;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice().buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const ALL = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");

Deno.test("text: every printable character renders its font-table glyph, at scales 1 and 3", () => {
  for (const scale of [1, 3]) {
    const width = textWidth(ALL, scale) + 4;
    const f = gray(width, textHeight(scale) + 4);
    drawText(new Canvas(f), ALL, 2, 2, { scale });
    assert.deepEqual(rendered(f), bitmap(ALL, scale, f.width, f.height, 2, 2));
  }
});

Deno.test("text: the same glyphs every run (fixed hashes of the table and of a rendering)", async () => {
  assert.equal(FONT_5X7.length, 95 * 5);
  assert.equal(
    await sha256(FONT_5X7),
    "64958affcac90004721ecbdafd969a910691d425987cba64f781e143d79d12d0",
  );
  const f = gray(200, 20);
  drawText(new Canvas(f), "person #12 0.87", 1, 2, { scale: 2 });
  assert.equal(
    await sha256(f.data),
    "d626e0c07e15d6ec63ee1e5d784b07725ee197663ffdbfbe0818c1c650af65a1",
  );
});

Deno.test("text: width and height; characters outside ASCII are drawn as ?", () => {
  assert.equal(textWidth(""), 0);
  assert.equal(textWidth("a"), 5);
  assert.equal(textWidth("car 0.91"), 47);
  assert.equal(textWidth("car 0.91", 2), 94);
  assert.equal(textHeight(3), 21);
  const a = gray(20, 9);
  const b = gray(20, 9);
  drawText(new Canvas(a), "é☃", 1, 1);
  drawText(new Canvas(b), "??", 1, 1);
  assert.deepEqual(a.data, b.data);
});

Deno.test("text: clipped at the edges; the background box covers the padding", () => {
  const f = gray(20, 8);
  drawText(new Canvas(f), "Hi!", -3, -2, { scale: 1 });
  assert.deepEqual(rendered(f), bitmap("Hi!", 1, 20, 8, -3, -2));
  const g = gray(30, 12);
  const box = drawText(new Canvas(g), "ab", 3, 3, {
    background: [255, 255, 255],
    padding: 2,
    color: [0, 0, 0],
  });
  assert.deepEqual(box, { x: 1, y: 1, width: 15, height: 11 });
  const ink = bitmap("ab", 1, 30, 12, 3, 3);
  const want = Array.from(
    { length: 12 },
    (_, y) =>
      Array.from(
        { length: 30 },
        (_, x) => x >= 1 && x < 16 && y >= 1 && y < 12 && ink[y][x] === "." ? "#" : ".",
      ).join(""),
  );
  assert.deepEqual(rendered(g), want);
});
