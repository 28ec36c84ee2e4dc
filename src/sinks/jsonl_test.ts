import assert from "node:assert/strict";
import { InputError } from "../errors.ts";
import type { AlgoRecord } from "../record.ts";
import { JsonlSink } from "./jsonl.ts";

const record = (frame: number): AlgoRecord => ({
  source: "main",
  algo: "a",
  frame,
  time: frame,
  position: frame,
  result: frame,
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jsonl-sink-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function lines(path: string): number[] {
  return Deno.readTextFileSync(path).split("\n").filter((l) => l).map((l) => JSON.parse(l).frame);
}

Deno.test("JsonlSink: a second writer of the same path is refused and clobbers nothing", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/out.jsonl`;
    const first = await JsonlSink.open(path);
    for (let i = 0; i < 3; i++) first.write(record(i));
    first.flushSync();
    await assert.rejects(JsonlSink.open(path), (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /out\.jsonl: another run is writing this file/);
      return true;
    });
    first.write(record(3));
    await first.close();
    assert.deepEqual(lines(path), [0, 1, 2, 3]);
    // once the first is done, a new run may write the file again
    const again = await JsonlSink.open(path);
    await again.close();
    assert.deepEqual(lines(path), []);
  });
});

Deno.test("JsonlSink: a directory or a missing directory is refused at open", async () => {
  await withDir(async (dir) => {
    await assert.rejects(JsonlSink.open(dir), /is a directory, not a file/);
    await assert.rejects(JsonlSink.open(`${dir}/no/out.jsonl`), /no such directory/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("JsonlSink: abort deletes the output, unless keep() was called and it holds records", async () => {
  await withDir(async (dir) => {
    const dropped = await JsonlSink.open(`${dir}/a.jsonl`);
    dropped.write(record(0));
    await dropped.abort();
    const kept = await JsonlSink.open(`${dir}/b.jsonl`);
    kept.keep();
    kept.write(record(0));
    kept.write(record(1));
    await kept.abort();
    const empty = await JsonlSink.open(`${dir}/c.jsonl`);
    empty.keep();
    await empty.abort();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["b.jsonl"]);
    assert.deepEqual(lines(`${dir}/b.jsonl`), [0, 1]);
  });
});

Deno.test("JsonlSink: finishSync writes the buffered records and renames (a forced exit)", async () => {
  await withDir(async (dir) => {
    const sink = await JsonlSink.open(`${dir}/out.jsonl`);
    sink.write(record(0));
    sink.write(record(1));
    sink.finishSync();
    await sink.close(); // nothing more to do
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.jsonl"]);
    assert.deepEqual(lines(`${dir}/out.jsonl`), [0, 1]);
  });
});

Deno.test("JsonlSink: exitSync keeps the records once keep() was called, else deletes", async () => {
  await withDir(async (dir) => {
    const before = await JsonlSink.open(`${dir}/a.jsonl`);
    before.write(record(0));
    before.exitSync();
    const after = await JsonlSink.open(`${dir}/b.jsonl`);
    after.keep();
    after.write(record(0));
    after.exitSync();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["b.jsonl"]);
    assert.deepEqual(lines(`${dir}/b.jsonl`), [0]);
  });
});
