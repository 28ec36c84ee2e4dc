import assert from "node:assert/strict";
import { DeliveryQueue, PartialSendError } from "./queue.ts";

Deno.test("DeliveryQueue: batches in order; a failed batch is retried until accepted, once", async () => {
  const sent: number[][] = [];
  let failures = 2;
  const queue = new DeliveryQueue<number>({
    send: (batch) => {
      if (failures-- > 0) return Promise.reject(new Error("down"));
      sent.push(batch);
      return Promise.resolve();
    },
    batchSize: 3,
    flushInterval: 1000, // full batches go at once; close sends the rest
    backoffInitial: 1,
  });
  const errors: string[] = [];
  queue.watch({ error: (e) => errors.push((e as Error).message), drop: () => {} });
  for (let i = 0; i < 8; i++) queue.push(i);
  await queue.close();
  assert.deepEqual(sent.flat(), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(sent.every((b) => b.length <= 3));
  assert.deepEqual(errors, ["down", "down"]);
  assert.deepEqual(queue.stats(), { written: 8, dropped: 0, errors: 2, queueHighWater: 8 });
});

Deno.test("DeliveryQueue: when full, the oldest item is dropped and counted", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const sent: number[] = [];
  const queue = new DeliveryQueue<number>({
    send: async (batch) => {
      await gate;
      sent.push(...batch);
    },
    maxQueue: 3,
  });
  let dropped = 0;
  queue.watch({ error: () => {}, drop: (n) => dropped += n });
  for (let i = 0; i < 10; i++) queue.push(i); // 0 is in flight; 1..9 go through a queue of 3
  release();
  await queue.close();
  assert.deepEqual(sent, [0, 7, 8, 9]);
  assert.equal(dropped, 6);
  assert.deepEqual(queue.stats(), { written: 4, dropped: 6, errors: 0, queueHighWater: 3 });
});

Deno.test("DeliveryQueue: a partial send counts what went through and resends only the rest", async () => {
  const sent: number[][] = [];
  let first = true;
  const queue = new DeliveryQueue<number>({
    send: (batch) => {
      sent.push(batch);
      if (first) {
        first = false;
        return Promise.reject(new PartialSendError(2, new Error("cut")));
      }
      return Promise.resolve();
    },
    batchSize: 5,
    flushInterval: 1000,
    backoffInitial: 1,
  });
  for (let i = 0; i < 5; i++) queue.push(i);
  await queue.close();
  assert.deepEqual(sent, [[0, 1, 2, 3, 4], [2, 3, 4]]);
  assert.equal(queue.stats().written, 5);
});

Deno.test("DeliveryQueue: close gives up after closeTimeout, aborting the send in flight", async () => {
  let aborted = false;
  const queue = new DeliveryQueue<number>({
    send: (_batch, signal) =>
      new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
    closeTimeout: 50,
  });
  for (let i = 0; i < 4; i++) queue.push(i);
  await queue.close();
  assert.ok(aborted);
  assert.deepEqual(queue.stats(), { written: 0, dropped: 4, errors: 1, queueHighWater: 3 });
  queue.push(9); // after close: dropped at once
  assert.equal(queue.stats().dropped, 5);
});

Deno.test("DeliveryQueue: an item pushed as the sender loop ends is still sent", async () => {
  for (let depth = 0; depth < 12; depth++) {
    const sent: number[] = [];
    const queue: DeliveryQueue<number> = new DeliveryQueue<number>({
      send: (batch) => {
        sent.push(...batch);
        if (batch[0] === 0) {
          // push once the first send has settled, `depth` microtasks later
          let p = Promise.resolve();
          for (let i = 0; i < depth + 1; i++) p = p.then(() => {});
          p.then(() => queue.push(1));
        }
        return Promise.resolve();
      },
    });
    queue.push(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await queue.close();
    assert.deepEqual(sent, [0, 1], `depth ${depth}`);
  }
});
