/**
 * Golden checks of the default annotator: a labelled box on bgr24, rgb24 and gray frames
 * changes exactly the pixels computed here from scratch (box outline, label background, glyphs
 * from the font table), and nothing else; the frame given is never changed.
 */
import assert from "node:assert/strict";
import type { Frame, PixelFormat } from "../frame.ts";
import { FramePool } from "../frame_pool.ts";
import type { AlgoRecord } from "../record.ts";
import { Annotator } from "./annotator.ts";
import { colorFor } from "./color.ts";
import { FONT_5X7 } from "./font.ts";

type RGB = readonly [number, number, number];

function frameOf(format: PixelFormat, width: number, height: number, fill = 40): Frame {
  const channels = format === "gray" ? 1 : 3;
  const data = new Uint8Array(width * height * channels).fill(fill);
  return { data, width, height, format, index: 7, source: "cam", time: 2.5 };
}

function record(result: unknown, extra: Partial<AlgoRecord> = {}): AlgoRecord {
  return { source: "cam", algo: "det", frame: 7, time: 2.5, position: 2, result, ...extra };
}

/** The bytes of a colour in a format, computed here independently of src/draw/pixels.ts. */
function bytesOf(format: PixelFormat, [r, g, b]: RGB): number[] {
  if (format === "gray") return [Math.round(0.299 * r + 0.587 * g + 0.114 * b)];
  return format === "bgr24" ? [b, g, r] : [r, g, b];
}

/** Expected image: a plain copy of `frame` that tests paint pixel by pixel. */
class Expected {
  readonly data: Uint8Array;
  readonly channels: number;
  constructor(readonly frame: Frame) {
    this.data = frame.data.slice();
    this.channels = frame.format === "gray" ? 1 : 3;
  }
  set(x: number, y: number, color: RGB) {
    if (x < 0 || y < 0 || x >= this.frame.width || y >= this.frame.height) return;
    const bytes = bytesOf(this.frame.format, color);
    this.data.set(bytes, (y * this.frame.width + x) * this.channels);
  }
  rect(x1: number, y1: number, x2: number, y2: number, color: RGB) {
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) this.set(x, y, color);
  }
  /** Text from the font table: bit r of column c of each character's glyph. */
  text(text: string, x: number, y: number, color: RGB) {
    [...text].forEach((ch, i) => {
      const o = (ch.charCodeAt(0) - 32) * 5;
      for (let c = 0; c < 5; c++) {
        for (let r = 0; r < 7; r++) {
          if ((FONT_5X7[o + c] >> r) & 1) this.set(x + i * 6 + c, y + r, color);
        }
      }
    });
  }
}

/** Pixels whose bytes differ between two images, as "x,y". */
function changed(a: Uint8Array, b: Uint8Array, width: number, channels: number): string[] {
  const out: string[] = [];
  for (let p = 0; p < a.length / channels; p++) {
    for (let k = 0; k < channels; k++) {
      if (a[p * channels + k] !== b[p * channels + k]) {
        out.push(`${p % width},${Math.floor(p / width)}`);
        break;
      }
    }
  }
  return out;
}

for (const format of ["bgr24", "rgb24", "gray"] as const) {
  Deno.test(`annotator: a labelled box on ${format} changes exactly the box and label pixels`, () => {
    const frame = frameOf(format, 100, 80);
    const before = frame.data.slice();
    const annotator = new Annotator({ overlay: false, thickness: 2, textScale: 1 });
    const shown = annotator.draw(frame, [
      record([{ name: "car", score: 0.5, box: [20, 30, 60, 70] }]),
    ]);

    const color = colorFor("car");
    const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
    const ink: RGB = luma > 150 ? [0, 0, 0] : [255, 255, 255];
    const want = new Expected(frame);
    // Outline 2 px wide inside [20, 60) x [30, 70).
    want.rect(20, 30, 60, 32, color);
    want.rect(20, 68, 60, 70, color);
    want.rect(20, 30, 22, 70, color);
    want.rect(58, 30, 60, 70, color);
    // Label "car 0.50": 8 characters, 47 px wide, 7 high, 1 px padding, above the box.
    want.rect(20, 21, 20 + 47 + 2, 30, color);
    want.text("car 0.50", 21, 22, ink);

    const channels = format === "gray" ? 1 : 3;
    const diff = changed(shown.data, want.data, 100, channels);
    assert.deepEqual(diff, [], `pixels differing from the golden image: ${diff.slice(0, 10)}`);
    // 40 * 40 - 36 * 36 = 304 outline pixels and the 49 x 9 label box changed, nothing else.
    assert.equal(changed(before, shown.data, 100, channels).length, 304 + 49 * 9);
    assert.deepEqual(
      Array.from(shown.data.subarray((31 * 100 + 21) * channels, (31 * 100 + 22) * channels)),
      bytesOf(format, color),
    );
    assert.deepEqual(frame.data, before, "the frame given is unchanged");
    assert.notEqual(shown.data.buffer, frame.data.buffer);
  });
}

Deno.test("annotator: a box at the top edge carries its label inside, below its top", () => {
  const frame = frameOf("rgb24", 60, 40);
  const shown = new Annotator({ overlay: false, thickness: 1, textScale: 1 })
    .draw(frame, [record({ boxes: [{ box: [5, 2, 50, 30], area: 0.2 }], score: 0.3 })]);
  const color = colorFor("det");
  const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
  const ink: RGB = luma > 150 ? [0, 0, 0] : [255, 255, 255];
  const want = new Expected(frame);
  want.rect(5, 2, 50, 3, color);
  want.rect(5, 29, 50, 30, color);
  want.rect(5, 2, 6, 30, color);
  want.rect(49, 2, 50, 30, color);
  // A motion box has no name: the label is the algorithm's name.
  want.rect(5, 2, 5 + 17 + 2, 11, color);
  want.text("det", 6, 3, ink);
  assert.deepEqual(changed(shown.data, want.data, 60, 3), []);
});

Deno.test("annotator: track ids label and colour the box; errors, other sources and old records are not drawn", () => {
  const frame = frameOf("gray", 120, 60, 0);
  const tracked = [{ name: "person", score: 0.8, track: 7, box: [30, 20, 90, 55] }];
  const annotator = new Annotator({ overlay: false, thickness: 1, textScale: 1, maxAge: 1 });
  const drawn = annotator.draw(frame, [record(tracked)]);
  const want = new Expected(frame);
  const color = colorFor("track:7");
  want.rect(30, 20, 90, 21, color);
  want.rect(30, 54, 90, 55, color);
  want.rect(30, 20, 31, 55, color);
  want.rect(89, 20, 90, 55, color);
  const label = "person #7 0.80";
  want.rect(30, 11, 30 + label.length * 6 - 1 + 2, 20, color);
  const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
  want.text(label, 31, 12, luma > 150 ? [0, 0, 0] : [255, 255, 255]);
  assert.deepEqual(changed(drawn.data, want.data, 120, 1), []);

  const nothing = annotator.draw(frame, [
    record(tracked, { error: "boom", result: undefined }),
    record(tracked, { source: "other" }),
    record(tracked, { time: 1.2 }),
  ]);
  assert.ok(nothing.data.every((v) => v === 0), "nothing drawn");
  const filtered = new Annotator({ overlay: false, algos: ["seg"] }).draw(frame, [record(tracked)]);
  assert.ok(filtered.data.every((v) => v === 0), "algos filter");
});

Deno.test("annotator: the overlay shows source, time and fps; the hook draws after the default", () => {
  const frame = frameOf("gray", 200, 40, 0);
  const seen: string[] = [];
  const annotator = new Annotator({
    textScale: 1,
    annotate(ctx) {
      seen.push(Object.keys(ctx.latest).join(","), String(ctx.frame.data === frame.data));
      ctx.canvas.fillRect(190, 30, 200, 40, [255, 255, 255]);
      ctx.text("x", 180, 30);
    },
  });
  const shown = annotator.draw(frame, [record(null)], { fps: 12.5 });
  assert.deepEqual(seen, ["det", "false"]);
  const want = new Expected(frame);
  const text = "cam  2.50s (2)  12.5 fps";
  // Background black at 60 % over black stays 0; the glyphs are white.
  want.text(text, 2, 2, [255, 255, 255]);
  want.rect(190, 30, 200, 40, [255, 255, 255]);
  want.text("x", 180, 30, [255, 255, 255]);
  assert.deepEqual(changed(shown.data, want.data, 200, 1), []);
});

Deno.test("annotator: fps is measured from frame times when not given", () => {
  const annotator = new Annotator({ textScale: 1, boxes: false, annotate: () => {} });
  const texts: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    const f = { ...frameOf("gray", 200, 20, 0), index: i, time: i * 0.04 };
    texts.push(annotator.draw(f, []).data);
  }
  const want = new Expected(frameOf("gray", 200, 20, 0));
  want.text("cam  0.08s (0)  25.0 fps", 2, 2, [255, 255, 255]);
  assert.deepEqual(changed(texts[2], want.data, 200, 1), []);
});

Deno.test("annotator: copies come from the pool and go back to it; zones and lines are drawn", () => {
  const pool = new FramePool();
  const frame = frameOf("bgr24", 40, 30, 0);
  const annotator = new Annotator({
    pool,
    overlay: false,
    thickness: 1,
    zones: [{ points: [[0, 0], [10, 0], [10, 10], [0, 10]], color: [0, 0, 200], fillAlpha: 0.5 }],
    lines: [{ points: [[0, 20], [39, 20]], color: [255, 0, 0] }],
  });
  const shown = annotator.draw(frame, []);
  annotator.release(shown);
  assert.equal(pool.size, 1);
  const again = annotator.draw(frame, []);
  assert.equal(pool.size, 0, "the released buffer was reused");
  const at = (x: number, y: number) =>
    Array.from(again.data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3));
  assert.deepEqual(at(5, 5), [100, 0, 0], "zone filled at 50 %");
  assert.deepEqual(at(0, 5), [200, 0, 0], "zone outline");
  assert.deepEqual(at(20, 20), [0, 0, 255], "line");
  assert.deepEqual(at(20, 5), [0, 0, 0]);
  assert.ok(frame.data.every((v) => v === 0));
});

Deno.test("annotator: the process hook keeps the newest records per source and reuses its copies", () => {
  const hook = new Annotator({ overlay: false, thickness: 1 }).processHook();
  const a = frameOf("gray", 50, 50, 0);
  const first = hook({ frame: a, ran: [record([{ name: "x", box: [10, 20, 40, 45] }])] });
  assert.equal(first.data[20 * 50 + 10] !== 0, true);
  const second = hook({ frame: { ...a, index: 8 }, ran: [] });
  assert.equal(second.data[20 * 50 + 10] !== 0, true, "the box stays until a newer record");
  assert.equal(second.data.buffer, first.data.buffer, "the first copy's buffer was reused");
  assert.ok(a.data.every((v) => v === 0));
});

Deno.test("annotator: lines and zones show the counts of the analytics records named like them", () => {
  const frame = frameOf("rgb24", 160, 60, 0);
  const color = [0, 120, 255] as const;
  const shapes = (line: string, zone: string) => ({
    overlay: false,
    textScale: 1,
    lines: [{ points: [[2, 50], [150, 50]] as [number, number][], label: line, color }],
    zones: [{
      points: [[80, 2], [150, 2], [150, 40], [80, 40]] as [number, number][],
      label: zone,
      color,
    }],
  });
  const withCounts = new Annotator(shapes("gate", "dock")).draw(frame, [
    record({ event: "counts", counts: { car: { in: 2, out: 1 }, person: { in: 1, out: 0 } } }, {
      algo: "gate",
    }),
    record({ event: "enter", track: 3, occupancy: { person: 2, car: 1 }, counts: {} }, {
      algo: "dock",
    }),
  ]);
  const spelled = new Annotator(shapes("gate  in 3  out 1", "dock  3 inside")).draw(frame, []);
  assert.deepEqual(changed(withCounts.data, spelled.data, 160, 3), []);
  const plain = new Annotator(shapes("gate", "dock")).draw(frame, []);
  assert.notDeepEqual(changed(withCounts.data, plain.data, 160, 3), []);
});
