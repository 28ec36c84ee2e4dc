/**
 * {@link matchBoxes}: pairs tracks with detections by IoU at the least total cost, with a
 * minimum IoU and optional class gating.
 *
 * @module
 */
import { assign } from "./assign.ts";
import { type Box, iou } from "./kalman.ts";

/** Cost of a pair that may not match: more than any set of real pairs costs together. */
const FORBIDDEN = 1e6;

/** What {@link matchBoxes} compares on each side. */
export interface Matchable {
  /** The box. */
  box: Box;
  /** The class (compared only when `sameClass`). */
  cls: string;
}

/**
 * Pairs `tracks[i]` with `dets[j]` where the IoU (times the detection's score, when
 * `weights` is given) reaches `minIou`, maximising the number of pairs and then minimising
 * the total `1 - IoU`. Returns the pairs as `[trackIndex, detIndex]`, in track order.
 *
 * @example
 * ```ts
 * import { matchBoxes } from "./match.ts";
 * const t = [{ box: [0, 0, 10, 10] as const, cls: "car" }];
 * const d = [{ box: [50, 0, 60, 10] as const, cls: "car" }, { box: [1, 0, 11, 10] as const, cls: "car" }];
 * console.log(matchBoxes(t, d, 0.3, true)); // [[0, 1]]
 * ```
 */
export function matchBoxes(
  tracks: readonly Matchable[],
  dets: readonly Matchable[],
  minIou: number,
  sameClass: boolean,
  weights?: readonly number[],
): [number, number][] {
  const rows = tracks.length;
  const cols = dets.length;
  if (rows === 0 || cols === 0) return [];
  const cost = new Float64Array(rows * cols).fill(FORBIDDEN);
  let any = false;
  for (let i = 0; i < rows; i++) {
    const t = tracks[i];
    for (let j = 0; j < cols; j++) {
      const d = dets[j];
      if (sameClass && t.cls !== d.cls) continue;
      // cheap reject before the IoU: boxes that do not overlap
      if (d.box[0] >= t.box[2] || t.box[0] >= d.box[2]) continue;
      if (d.box[1] >= t.box[3] || t.box[1] >= d.box[3]) continue;
      const similarity = iou(t.box, d.box) * (weights ? weights[j] : 1);
      if (similarity > 0 && similarity >= minIou) {
        cost[i * cols + j] = 1 - similarity;
        any = true;
      }
    }
  }
  if (!any) return [];
  // solve each group of tracks and detections linked by allowed pairs on its own: groups are
  // small (objects near one another), so this is far cheaper than one big problem
  const parent = Array.from({ length: rows + cols }, (_, k) => k);
  const root = (k: number): number => {
    while (parent[k] !== k) k = parent[k] = parent[parent[k]];
    return k;
  };
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (cost[i * cols + j] < FORBIDDEN) parent[root(i)] = root(rows + j);
    }
  }
  const groups = new Map<number, { rows: number[]; cols: number[] }>();
  const group = (k: number) => {
    const r = root(k);
    let g = groups.get(r);
    if (!g) groups.set(r, g = { rows: [], cols: [] });
    return g;
  };
  for (let i = 0; i < rows; i++) group(i).rows.push(i);
  for (let j = 0; j < cols; j++) group(rows + j).cols.push(j);
  const pairs: [number, number][] = [];
  for (const g of groups.values()) {
    if (g.rows.length === 0 || g.cols.length === 0) continue;
    const sub = new Float64Array(g.rows.length * g.cols.length);
    g.rows.forEach((i, a) =>
      g.cols.forEach((j, b) => sub[a * g.cols.length + b] = cost[i * cols + j])
    );
    const chosen = assign(sub, g.rows.length, g.cols.length);
    g.rows.forEach((i, a) => {
      const b = chosen[a];
      if (b >= 0 && sub[a * g.cols.length + b] < FORBIDDEN) pairs.push([i, g.cols[b]]);
    });
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}
