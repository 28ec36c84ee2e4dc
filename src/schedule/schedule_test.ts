import assert from "node:assert/strict";
import { framesWanted, Schedule } from "./schedule.ts";

Deno.test("framesWanted: a very long schedule builds no filter terms (memory stays flat)", () => {
  // 5 million frames 1000 apart, once an hour: one term per frame would be ~400 MB of strings
  const long = new Schedule({ frameCount: 5_000_000, frameStep: 1000, interval: 3600 });
  const before = Deno.memoryUsage().rss;
  const filter = framesWanted([long], 25);
  const grown = Deno.memoryUsage().rss - before;
  assert.equal(filter, undefined, "over 64 terms: every frame is piped");
  assert.ok(grown < 200 * 2 ** 20, `rss grew by ${Math.round(grown / 2 ** 20)} MiB`);
});
