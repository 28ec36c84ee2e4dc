import assert from "node:assert/strict";
import type { AlgoRecord } from "../record.ts";
import type { Sink } from "../sinks/sink.ts";
import { Dispatcher } from "./dispatcher.ts";

const record = (frame: number): AlgoRecord => ({
  source: "main",
  algo: "a",
  frame,
  time: frame,
  position: frame,
  result: frame,
});

class ListSink implements Sink {
  readonly label = "list";
  frames: number[] = [];
  write(r: AlgoRecord): void {
    this.frames.push(r.frame);
  }
  close(): void {}
}

Deno.test("Dispatcher: a slow sink never delays another; each gets every record in order", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const slowFrames: number[] = [];
  const slow: Sink = {
    label: "slow",
    async write(r) {
      await gate;
      slowFrames.push(r.frame);
    },
    close() {},
  };
  const fast = new ListSink();
  const dispatcher = new Dispatcher({ sinks: [slow, fast] });
  for (let i = 0; i < 5; i++) dispatcher.collect(record(i));
  assert.deepEqual(fast.frames, [0, 1, 2, 3, 4], "the fast sink waited for the slow one");
  assert.deepEqual(slowFrames, []);
  release();
  await dispatcher.close();
  assert.deepEqual(slowFrames, [0, 1, 2, 3, 4]);
  const [slowStats, fastStats] = dispatcher.sinkStats();
  assert.deepEqual(slowStats, {
    sink: "slow",
    written: 5,
    dropped: 0,
    errors: 0,
    queueHighWater: 5,
  });
  assert.deepEqual(fastStats, {
    sink: "list",
    written: 5,
    dropped: 0,
    errors: 0,
    queueHighWater: 0,
  });
});

Deno.test("Dispatcher: a sink that throws is isolated: logged once, counted, the others go on", async () => {
  const lines: string[] = [];
  let closes = 0;
  const broken: Sink = {
    label: "broken",
    write(r) {
      if (r.frame % 2) throw new Error(`cannot write ${r.frame}\nsecond line`);
    },
    close() {
      closes++;
      throw new Error("cannot close");
    },
  };
  const rejecting: Sink = {
    write: () => Promise.reject(new Error("async failure")),
    close() {},
  };
  const fine = new ListSink();
  const dispatcher = new Dispatcher({
    sinks: [broken, rejecting, fine],
    log: (l) => lines.push(l),
  });
  for (let i = 0; i < 6; i++) dispatcher.collect(record(i));
  await dispatcher.close(); // does not throw
  await dispatcher.abort(); // nothing more: already closed
  assert.equal(closes, 1);
  assert.deepEqual(fine.frames, [0, 1, 2, 3, 4, 5]);
  const stats = dispatcher.sinkStats();
  assert.deepEqual(stats.map((s) => [s.sink, s.written, s.errors]), [
    ["broken", 3, 4], // three writes and the close failed
    ["Object", 0, 6],
    ["list", 6, 0],
  ]);
  assert.deepEqual(lines, [
    "stream-infer: sink broken: cannot write 1 (the other sinks go on)",
    "stream-infer: sink Object: async failure (the other sinks go on)",
  ]);
});

Deno.test("Dispatcher: abort discards through abort() and closes a sink that has none", async () => {
  const calls: string[] = [];
  const withAbort: Sink = {
    write() {},
    close: () => void calls.push("close 1"),
    abort: () => void calls.push("abort 1"),
  };
  const without: Sink = { write() {}, close: () => void calls.push("close 2") };
  const dispatcher = new Dispatcher({ sinks: [withAbort, without] });
  await dispatcher.abort();
  assert.deepEqual(calls, ["abort 1", "close 2"]);
});
