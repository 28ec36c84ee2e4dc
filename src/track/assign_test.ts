import assert from "node:assert/strict";
import { assign } from "./assign.ts";

/** The least total cost by trying every assignment (small matrices only). */
function bruteForce(cost: number[], rows: number, cols: number): number {
  let best = Infinity;
  const used = new Array(cols).fill(false);
  const pairs = Math.min(rows, cols);
  const visit = (r: number, made: number, total: number) => {
    if (made === pairs) return void (best = Math.min(best, total));
    if (r === rows) return;
    if (rows - r > pairs - made) visit(r + 1, made, total); // leave row r out
    for (let c = 0; c < cols; c++) {
      if (used[c]) continue;
      used[c] = true;
      visit(r + 1, made + 1, total + cost[r * cols + c]);
      used[c] = false;
    }
  };
  visit(0, 0, 0);
  return best;
}

function totalOf(cost: number[], cols: number, out: Int32Array): number {
  let total = 0;
  out.forEach((c, r) => {
    if (c >= 0) total += cost[r * cols + c];
  });
  return total;
}

Deno.test("assign: a known 3x3 problem", () => {
  assert.deepEqual([...assign([4, 1, 3, 2, 0, 5, 3, 2, 2], 3, 3)], [1, 0, 2]);
});

Deno.test("assign: empty and one-sided matrices", () => {
  assert.deepEqual([...assign([], 0, 3)], []);
  assert.deepEqual([...assign([], 2, 0)], [-1, -1]);
  assert.deepEqual([...assign([5, 1, 3], 1, 3)], [1]);
  assert.deepEqual([...assign([5, 1, 3], 3, 1)], [-1, 0, -1]);
});

Deno.test("assign: matches brute force on random rectangular matrices", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let trial = 0; trial < 300; trial++) {
    const rows = 1 + Math.floor(rand() * 6);
    const cols = 1 + Math.floor(rand() * 6);
    const cost = Array.from({ length: rows * cols }, () => Math.round(rand() * 20) / 2);
    const out = assign(cost, rows, cols);
    const cols4 = [...out].filter((c) => c >= 0);
    assert.equal(cols4.length, Math.min(rows, cols));
    assert.equal(new Set(cols4).size, cols4.length);
    assert.equal(totalOf(cost, cols, out), bruteForce(cost, rows, cols), `trial ${trial}`);
  }
});

Deno.test("assign: refuses non-finite costs", () => {
  assert.throws(() => assign([Infinity, Infinity], 1, 2), RangeError);
});
