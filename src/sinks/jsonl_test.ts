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
    await assert.rejects(JsonlSink.open(path, { overwrite: true }), /another run is writing/);
    first.write(record(3));
    await first.close();
    assert.deepEqual(lines(path), [0, 1, 2, 3]);
    // once the first is done, a new run may overwrite the file, when it says so
    const again = await JsonlSink.open(path, { overwrite: true });
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

Deno.test("JsonlSink: finishSync writes the buffered records and closes (a forced exit)", async () => {
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

Deno.test("JsonlSink: an existing file is refused, unless overwrite or append", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/out.jsonl`;
    await Deno.writeTextFile(path, '{"frame":100}\n');
    await assert.rejects(JsonlSink.open(path), (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /out\.jsonl: the file exists; .*'overwrite: true' or 'append: true'/);
      return true;
    });
    await assert.rejects(JsonlSink.open(path, { overwrite: true, append: true }), /exclude/);
    assert.deepEqual(lines(path), [100], "a refused open touched the file");
    const appended = await JsonlSink.open(path, { append: true });
    appended.write(record(0));
    await appended.close();
    assert.deepEqual(lines(path), [100, 0]);
    // an aborted append leaves the file as it was
    const aborted = await JsonlSink.open(path, { append: true });
    aborted.write(record(1));
    aborted.flushSync();
    await aborted.abort();
    assert.deepEqual(lines(path), [100, 0]);
    // overwrite: a run that fails before it starts leaves the old file as it was
    const failed = await JsonlSink.open(path, { overwrite: true });
    await failed.abort();
    assert.deepEqual(lines(path), [100, 0]);
    const overwritten = await JsonlSink.open(path, { overwrite: true });
    overwritten.keep(); // the run starts: the old records go
    assert.deepEqual(lines(path), []);
    overwritten.write(record(7));
    await overwritten.close();
    assert.deepEqual(lines(path), [7]);
  });
});

Deno.test("JsonlSink: records reach the file while the sink is open (no close needed)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/live.jsonl`;
    const sink = await JsonlSink.open(path);
    try {
      sink.write(record(0));
      sink.write(record(1));
      // written by the sink's timer, not by close: poll (bounded) without a timing assertion
      for (let i = 0; i < 100 && lines(path).length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(lines(path), [0, 1]);
      assert.equal(sink.stats().written, 2);
    } finally {
      await sink.close();
    }
  });
});

Deno.test("JsonlSink: rotate renames a full file PATH.1, PATH.2, ... and never splits a line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/r.jsonl`;
    const size = new TextEncoder().encode(
      JSON.stringify({
        source: "main",
        algo: "a",
        frame: 0,
        time: 0,
        position: 0,
        result: 0,
      }) + "\n",
    ).length;
    // room for two one-digit records per file
    const sink = await JsonlSink.open(path, { rotate: { maxBytes: size * 2 + 1 } });
    for (let i = 0; i < 5; i++) sink.write(record(i));
    await sink.close();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "r.jsonl",
      "r.jsonl.1",
      "r.jsonl.2",
    ]);
    assert.deepEqual(lines(`${path}.1`), [0, 1]);
    assert.deepEqual(lines(`${path}.2`), [2, 3]);
    assert.deepEqual(lines(path), [4]);
    await assert.rejects(JsonlSink.open(path, { rotate: { maxBytes: 0 } }), /maxBytes/);
  });
});

Deno.test("JsonlSink: rotate counts bytes, not characters (non-ASCII results)", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/u.jsonl`;
    const r = (frame: number): AlgoRecord => ({ ...record(frame), result: "é€😀" });
    const size = new TextEncoder().encode(JSON.stringify(r(0)) + "\n").length;
    const sink = await JsonlSink.open(path, { rotate: { maxBytes: size * 2 } });
    for (let i = 0; i < 4; i++) sink.write(r(i));
    await sink.close();
    assert.deepEqual(lines(`${path}.1`), [0, 1]);
    assert.deepEqual(lines(path), [2, 3]);
    assert.equal(Deno.statSync(path).size, size * 2);
  });
});
