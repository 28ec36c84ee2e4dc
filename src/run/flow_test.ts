import assert from "node:assert/strict";
import { Observers } from "../observe/fanout.ts";
import type { AlgoRecord } from "../record.ts";
import { NO_TIMING, RecordFlow, REORDER_LIMIT } from "./flow.ts";
import type { RecordStage } from "./stage.ts";

const rec = (frame: number, algo = "det"): AlgoRecord => ({
  source: "main",
  algo,
  frame,
  time: frame / 10,
  position: 0,
  result: frame,
});
const timing = { runMs: 1, lagMs: 1, instance: 0 };

function setup(stages: RecordStage[] = []) {
  const seen: AlgoRecord[] = [];
  const observers = new Observers();
  observers.add({ onRecord: (r) => void seen.push(r) });
  return { seen, flow: new RecordFlow(observers, stages) };
}

Deno.test("flow: records that finish out of order are handed on in run order", async () => {
  const { seen, flow } = setup();
  const key = { id: "main" };
  const seqs = [0, 1, 2, 3].map(() => flow.reserve(key, "det"));
  assert.deepEqual(await flow.push(key, rec(2), timing, { seq: seqs[2] }), []);
  assert.deepEqual(await flow.push(key, rec(1), timing, { seq: seqs[1] }), []);
  const out = await flow.push(key, rec(0), timing, { seq: seqs[0] });
  assert.deepEqual(out.map((r) => r.frame), [0, 1, 2]);
  await flow.push(key, rec(3), timing, { seq: seqs[3] });
  assert.deepEqual(seen.map((r) => r.frame), [0, 1, 2, 3]);
});

Deno.test("flow: the buffer is bounded, and the source's end hands on what it held", async () => {
  const { seen, flow } = setup();
  const key = { id: "main" };
  const missing = flow.reserve(key, "det");
  assert.equal(missing, 0);
  for (let i = 1; i <= REORDER_LIMIT; i++) {
    await flow.push(key, rec(i), timing, { seq: flow.reserve(key, "det") });
  }
  assert.equal(seen.length, 0);
  await flow.push(key, rec(REORDER_LIMIT + 1), timing, { seq: flow.reserve(key, "det") });
  assert.equal(seen.length, REORDER_LIMIT + 1); // gave up on the missing run
  // the missing run comes after all: handed on at once, and the order goes on
  await flow.push(key, rec(0), timing, { seq: missing });
  assert.equal(seen.at(-1)?.frame, 0);
  await flow.push(key, rec(50), timing, { seq: flow.reserve(key, "det") });
  assert.equal(seen.at(-1)?.frame, 50);
  const key2 = { id: "b" };
  flow.reserve(key2, "det");
  await flow.push(key2, rec(5), timing, { seq: flow.reserve(key2, "det") });
  const out = await flow.end(key2);
  assert.deepEqual(out.map((r) => r.frame), [5]);
  // a run finishing after its source ended still reaches the observers
  await flow.push(key2, rec(4), timing, { seq: 0 });
  assert.equal(seen.at(-1)?.frame, 4);
});

Deno.test("flow: stages see one source's records in order, may change and add records", async () => {
  const order: string[] = [];
  const stage: RecordStage = {
    name: "tag",
    open: (source) => ({
      record: (r, emit) => {
        order.push(`${source}:${r.frame}`);
        emit({ ...r, algo: "event", result: { of: r.frame } });
        return { ...r, result: { tagged: r.result } };
      },
      end: (emit) => emit({ ...rec(99), algo: "last" }),
    }),
  };
  const failing: RecordStage = {
    name: "broken",
    open: () => ({
      record: (r) => {
        if (r.frame === 1 && r.algo === "det") throw new Error("boom");
        return r;
      },
    }),
  };
  const { seen, flow } = setup([stage, failing]);
  const key = { id: "main" };
  await flow.push(key, rec(0), timing);
  await flow.push(key, rec(1), timing);
  await flow.end(key);
  assert.deepEqual(order, ["main:0", "main:1"]);
  assert.deepEqual(seen.map((r) => [r.algo, r.frame]), [
    ["det", 0],
    ["event", 0],
    ["det", 1],
    ["broken", 1],
    ["event", 1],
    ["last", 99],
  ]);
  assert.deepEqual(seen[0].result, { tagged: 0 });
  assert.equal(seen[3].error, "broken: boom");
});

Deno.test("flow: emit hands a record to the observers with no timing", async () => {
  const observers = new Observers();
  const got: unknown[] = [];
  observers.add({ onRecord: (r, t) => void got.push([r.algo, t]) });
  await new RecordFlow(observers, []).emit(rec(1, "clip"));
  assert.deepEqual(got, [["clip", NO_TIMING]]);
});

Deno.test("flow: a stage whose end throws gives an error record; the later stages still end", async () => {
  const { seen, flow } = setup([
    {
      name: "bad",
      open: () => ({
        record: (r) => r,
        end: () => {
          throw new Error("no");
        },
      }),
    },
    { name: "good", open: () => ({ record: (r) => r, end: (emit) => emit(rec(9, "last")) }) },
  ]);
  const key = { id: "main" };
  await flow.push(key, rec(1), timing);
  await flow.end(key);
  assert.deepEqual(seen.map((r) => [r.algo, r.frame, r.error]), [
    ["det", 1, undefined],
    ["bad", 1, "bad: no"],
    ["last", 9, undefined],
  ]);
});
