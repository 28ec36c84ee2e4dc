import assert from "node:assert/strict";
import { InputError } from "../errors.ts";
import {
  checkBudgetOption,
  checkRingBudget,
  checkSpanBudget,
  DEFAULT_RING_BUDGET,
  formatBytes,
  FRAME_OVERHEAD_BYTES,
  ringBytes,
} from "./budget.ts";
import { Schedule } from "./schedule.ts";

const schedule = (frameCount: number, frameStep: number) =>
  new Schedule({ frameCount, frameStep, interval: 1 });

Deno.test("ring budget: the bytes a source keeps are span + lookahead + 1 frames", () => {
  const per = 100 + FRAME_OVERHEAD_BYTES;
  assert.equal(ringBytes([schedule(3, 4)], 100, 0), 10 * per); // span 9
  assert.equal(ringBytes([schedule(3, 4), schedule(2, 0)], 100, 8), 18 * per);
  assert.equal(ringBytes([], 100, 0), 2 * per);
});

Deno.test("ring budget: exactly at the budget passes, one byte less fails", () => {
  const algos = [{ name: "a", schedule: schedule(3, 4) }];
  const budget = ringBytes([schedule(3, 4)], 1000, 8);
  checkRingBudget(algos, { frameBytes: 1000, lookahead: 8, budget });
  assert.throws(
    () => checkRingBudget(algos, { frameBytes: 1000, lookahead: 8, budget: budget - 1 }),
    InputError,
  );
});

Deno.test("ring budget: the message names the algorithms over it, their keys, frame and budget", () => {
  const algos = [
    { name: "wide", schedule: schedule(1000, 10) },
    { name: "pair", schedule: schedule(2, 0) },
    { name: "wider", schedule: schedule(2000, 10) },
  ];
  assert.throws(
    () =>
      checkRingBudget(algos, {
        frameBytes: 640 * 360 * 3,
        frame: "640x360 bgr24",
        lookahead: 8,
        budget: 64 * 2 ** 20,
        subject: "source 'cam'",
      }),
    (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.exitCode, 2);
      assert.equal(
        e.message,
        "source 'cam': the frame ring of 'wide' (frameCount 1000, frameStep 10: span 9991 " +
          "frames), 'wider' (frameCount 2000, frameStep 10: span 19991 frames) needs 20000 " +
          "640x360 bgr24 frames of 691200 bytes (12.9 GiB), over the ring budget of 64 MiB: " +
          "lower frameCount or frameStep, use smaller frames, or raise ringBudget",
      );
      return true;
    },
  );
});

Deno.test("ring budget: loading refuses a span too long even for the smallest frames", () => {
  const huge = { name: "huge", schedule: schedule(100000, 100) };
  assert.throws(() => checkSpanBudget(huge, DEFAULT_RING_BUDGET), /'huge' \(frameCount 100000/);
  checkSpanBudget({ name: "ok", schedule: schedule(1000, 10) }, DEFAULT_RING_BUDGET);
  checkSpanBudget(huge, Infinity);
});

Deno.test("ring budget: the option is a whole number of bytes", () => {
  assert.equal(checkBudgetOption(undefined), 512 * 2 ** 20);
  assert.equal(checkBudgetOption(1), 1);
  assert.equal(checkBudgetOption(Infinity), Infinity);
  for (const bad of [0, -5, 1.5, NaN, -Infinity]) {
    assert.throws(() => checkBudgetOption(bad), /ringBudget must be a whole number of bytes/);
  }
  assert.equal(formatBytes(900), "900 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(512 * 2 ** 20), "512 MiB");
});
