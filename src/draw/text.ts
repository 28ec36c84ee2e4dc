/**
 * Text in the built-in 5x7 font ({@link FONT_5X7}): {@link drawText} and {@link textWidth}.
 * One line of printable ASCII; other characters are drawn as `?`. `scale` is a whole number:
 * each font pixel becomes a `scale` x `scale` block.
 *
 * @module
 */
import type { Canvas } from "./canvas.ts";
import { ADVANCE, FONT_5X7, GLYPH_HEIGHT, GLYPH_WIDTH, glyphOffset } from "./font.ts";
import type { Color } from "./pixels.ts";

/**
 * How {@link drawText} draws.
 *
 * @example
 * ```ts
 * import type { TextStyle } from "@stream-infer/stream-infer";
 * const style: TextStyle = { color: [255, 255, 255], scale: 2, background: [0, 0, 0], padding: 2, backgroundAlpha: 0.6 };
 * ```
 */
export interface TextStyle {
  /** Glyph colour (default white). */
  color?: Color;
  /** Whole-number size factor (default 1: glyphs 5x7 pixels in a 6x8 cell). */
  scale?: number;
  /** Box drawn behind the text (default: none). */
  background?: Color;
  /** Opacity of the background box, in (0, 1] (default 1). */
  backgroundAlpha?: number;
  /** Pixels of background around the text on every side (default 0). */
  padding?: number;
}

/**
 * The box {@link drawText} covered: its top-left corner and size, background included.
 *
 * @example
 * ```ts
 * import type { TextBox } from "@stream-infer/stream-infer";
 * const box: TextBox = { x: 0, y: 0, width: 29, height: 7 };
 * ```
 */
export interface TextBox {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** A scale as the whole number it is used as (at least 1). */
export function wholeScale(scale: number | undefined): number {
  return Math.max(1, Math.round(scale ?? 1));
}

/**
 * Width in pixels of `text` drawn at `scale`: 6 pixels per character, less the spacing after
 * the last one.
 *
 * @example
 * ```ts
 * import { textWidth } from "@stream-infer/stream-infer";
 * console.log(textWidth("car 0.91"), textWidth("car 0.91", 2)); // 47 94
 * ```
 */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * wholeScale(scale);
}

/**
 * Height in pixels of a line of text at `scale` (7 pixels per unit of scale).
 *
 * @example
 * ```ts
 * import { textHeight } from "@stream-infer/stream-infer";
 * console.log(textHeight(2)); // 14
 * ```
 */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * wholeScale(scale);
}

/**
 * Draws one line of text with its top-left glyph pixel at (`x`, `y`), over an optional
 * background box that extends `padding` pixels around it. Clipped at the frame's edges.
 * Returns the box covered (background included).
 *
 * @example
 * ```ts
 * import { Canvas, drawText, type Frame } from "@stream-infer/stream-infer";
 * const frame: Frame = { data: new Uint8Array(100 * 20), width: 100, height: 20, format: "gray", index: 0, source: "main", time: 0 };
 * const box = drawText(new Canvas(frame), "person 0.87", 2, 2, { background: [0, 0, 0], padding: 2 });
 * console.log(box); // { x: 0, y: 0, width: 134, height: 18 }
 * ```
 */
export function drawText(
  canvas: Canvas,
  text: string,
  x: number,
  y: number,
  style: TextStyle = {},
): TextBox {
  const s = wholeScale(style.scale);
  const pad = Math.max(0, Math.round(style.padding ?? 0));
  const left = Math.round(x);
  const top = Math.round(y);
  const box = {
    x: left - pad,
    y: top - pad,
    width: textWidth(text, s) + 2 * pad,
    height: textHeight(s) + 2 * pad,
  };
  if (style.background) {
    canvas.fillRect(
      box.x,
      box.y,
      box.x + box.width,
      box.y + box.height,
      style.background,
      style.backgroundAlpha ?? 1,
    );
  }
  const paint = canvas.paint(style.color ?? [255, 255, 255]);
  let gx = left;
  for (const char of text) {
    if (gx >= canvas.width) break;
    const offset = glyphOffset(char.codePointAt(0)!);
    for (let c = 0; c < GLYPH_WIDTH; c++) {
      const bits = FONT_5X7[offset + c];
      if (bits === 0) continue;
      const cx = gx + c * s;
      // Vertical runs of set bits become one block each.
      let r = 0;
      while (r < GLYPH_HEIGHT) {
        if (!((bits >> r) & 1)) {
          r++;
          continue;
        }
        const start = r;
        while (r < GLYPH_HEIGHT && (bits >> r) & 1) r++;
        canvas.fillRectPaint(cx, top + start * s, cx + s, top + r * s, paint);
      }
    }
    gx += ADVANCE * s;
  }
  return box;
}
