/**
 * Stable colours: {@link colorFor} picks one of a fixed palette by hashing a key (a class name,
 * a track id), so the same key gets the same colour in every frame and every run.
 *
 * @module
 */
import type { Color } from "./pixels.ts";

/**
 * The palette {@link colorFor} picks from: 20 saturated colours that stand out from one another
 * and from most scenes.
 *
 * @example
 * ```ts
 * import { PALETTE } from "@stream-infer/stream-infer";
 * console.log(PALETTE.length); // 20
 * ```
 */
export const PALETTE: readonly Color[] = [
  [255, 56, 56],
  [255, 157, 151],
  [255, 112, 31],
  [255, 178, 29],
  [207, 210, 49],
  [72, 249, 10],
  [146, 204, 23],
  [61, 219, 134],
  [26, 147, 52],
  [0, 212, 187],
  [44, 153, 168],
  [0, 194, 255],
  [52, 69, 147],
  [100, 115, 255],
  [0, 24, 236],
  [132, 56, 255],
  [82, 0, 133],
  [203, 56, 255],
  [255, 149, 200],
  [255, 55, 199],
];

/**
 * A stable colour for a key: the FNV-1a hash of `String(key)` picks a {@link PALETTE} entry.
 *
 * @example
 * ```ts
 * import { colorFor } from "@stream-infer/stream-infer";
 * console.log(colorFor("person") === colorFor("person")); // true
 * ```
 */
export function colorFor(key: string | number): Color {
  const text = String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return PALETTE[(h >>> 0) % PALETTE.length];
}

/**
 * Black or white, whichever reads better on `background` (by its luma).
 *
 * @example
 * ```ts
 * import { contrastColor } from "./color.ts";
 * console.log(contrastColor([255, 255, 0])); // [0, 0, 0]
 * ```
 */
export function contrastColor([r, g, b]: Color): Color {
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? [0, 0, 0] : [255, 255, 255];
}
