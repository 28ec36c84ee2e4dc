import assert from "node:assert/strict";
import type { Frame } from "../frame.ts";
import { FrameRing } from "./ring.ts";

const frame = (index: number): Frame => ({
  data: new Uint8Array(3),
  width: 1,
  height: 1,
  format: "rgb24",
  index,
  source: "main",
  time: index / 10,
});

Deno.test("FrameRing: a huge capacity allocates nothing up front", () => {
  const before = Deno.memoryUsage().rss;
  // a slot array of 50 million entries would take 400 MB
  const ring = new FrameRing(50_000_000);
  for (let i = 0; i < 100; i++) ring.add(frame(i));
  const grown = Deno.memoryUsage().rss - before;
  assert.ok(grown < 200 * 2 ** 20, `rss grew by ${Math.round(grown / 2 ** 20)} MiB`);
  assert.equal(ring.capacity, 50_000_000);
  assert.equal(ring.size, 100);
  assert.deepEqual(ring.get(3, 10)?.map((f) => f.index), [79, 89, 99]);
});

Deno.test("FrameRing: keeps the newest `capacity` indices, also across gaps", () => {
  const ring = new FrameRing(5);
  for (let i = 0; i < 12; i++) ring.add(frame(i));
  assert.equal(ring.size, 5);
  assert.deepEqual(ring.get(5, 1)?.map((f) => f.index), [7, 8, 9, 10, 11]);
  assert.equal(ring.get(6, 1), undefined, "index 6 was evicted");
  assert.equal(ring.get(2, 20), undefined, "too early");
  // frames an offline filter skipped never arrive: the gap is not held, older ones age out
  ring.add(frame(14));
  assert.equal(ring.size, 3);
  assert.deepEqual(ring.get(2, 4)?.map((f) => f.index), [10, 14]);
  assert.equal(ring.get(2, 1), undefined, "index 13 never arrived");
  ring.add(frame(40));
  assert.equal(ring.size, 1);
  assert.equal(ring.newest?.index, 40);
});

Deno.test("FrameRing: an index that goes back starts the ring over", () => {
  const ring = new FrameRing(4);
  for (let i = 0; i < 3; i++) ring.add(frame(i));
  ring.add(frame(0));
  assert.equal(ring.size, 1);
  assert.deepEqual(ring.get(1, 0)?.map((f) => f.index), [0]);
  assert.equal(ring.get(2, 1), undefined);
});
