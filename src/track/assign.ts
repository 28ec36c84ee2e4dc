/**
 * {@link assign}: the linear sum assignment (the Hungarian problem) on a rectangular cost
 * matrix, solved by shortest augmenting paths (Jonker-Volgenant, as in Crouse 2016).
 *
 * @module
 */

/**
 * Pairs rows with columns at the least total cost: each row gets at most one column and each
 * column at most one row, and `min(rows, cols)` pairs are made. `cost` is row-major,
 * `rows * cols` finite values. Returns, for each row, its column or -1.
 *
 * Runs in O(n² m) for n = min(rows, cols), m = max(rows, cols); deterministic (ties go to the
 * lowest index).
 *
 * @example
 * ```ts
 * import { assign } from "./assign.ts";
 * const cost = Float64Array.from([4, 1, 3, 2, 0, 5, 3, 2, 2]);
 * console.log([...assign(cost, 3, 3)]); // [1, 0, 2]
 * ```
 */
export function assign(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  if (rows <= cols) {
    solve(cost, rows, cols, (r, c) => r * cols + c, out);
    return out;
  }
  // more rows than columns: solve the transposed problem, columns choosing rows
  const colToRow = new Int32Array(cols).fill(-1);
  solve(cost, cols, rows, (r, c) => c * cols + r, colToRow);
  for (let c = 0; c < cols; c++) if (colToRow[c] >= 0) out[colToRow[c]] = c;
  return out;
}

/** The solver for `n <= m`: fills `col4row` with each of the `n` rows' column. */
function solve(
  cost: ArrayLike<number>,
  n: number,
  m: number,
  at: (row: number, col: number) => number,
  col4row: Int32Array,
): void {
  const u = new Float64Array(n);
  const v = new Float64Array(m);
  const shortest = new Float64Array(m);
  const path = new Int32Array(m);
  const row4col = new Int32Array(m).fill(-1);
  const seenRow = new Uint8Array(n);
  const seenCol = new Uint8Array(m);
  const remaining = new Int32Array(m);
  for (let start = 0; start < n; start++) {
    // Dijkstra-like search for the shortest augmenting path from row `start` to a free column
    shortest.fill(Infinity);
    path.fill(-1);
    seenRow.fill(0);
    seenCol.fill(0);
    let left = m;
    for (let k = 0; k < m; k++) remaining[k] = m - 1 - k;
    let minVal = 0;
    let row = start;
    let sink = -1;
    while (sink < 0) {
      seenRow[row] = 1;
      let best = -1;
      let lowest = Infinity;
      for (let k = 0; k < left; k++) {
        const col = remaining[k];
        const reduced = minVal + cost[at(row, col)] - u[row] - v[col];
        if (reduced < shortest[col]) {
          path[col] = row;
          shortest[col] = reduced;
        }
        if (shortest[col] < lowest || (shortest[col] === lowest && row4col[col] < 0)) {
          lowest = shortest[col];
          best = k;
        }
      }
      if (best < 0 || lowest === Infinity) throw new RangeError("assign: costs must be finite");
      minVal = lowest;
      const col = remaining[best];
      seenCol[col] = 1;
      remaining[best] = remaining[--left];
      if (row4col[col] < 0) sink = col;
      else row = row4col[col];
    }
    // update the dual variables
    u[start] += minVal;
    for (let r = 0; r < n; r++) {
      if (seenRow[r] && r !== start) u[r] += minVal - shortest[col4row[r]];
    }
    for (let c = 0; c < m; c++) if (seenCol[c]) v[c] -= minVal - shortest[c];
    // augment along the path
    let col = sink;
    for (;;) {
      const r = path[col];
      row4col[col] = r;
      const previous = col4row[r];
      col4row[r] = col;
      col = previous;
      if (r === start) break;
    }
  }
}
