import assert from "node:assert/strict";
import { parse } from "yaml";
import { InputError } from "../errors.ts";
import { checkShape, saveShape, withShape } from "./editor.ts";

const CONFIG = `# traffic pipeline: keep this header
source: clip.mp4 # the clip
algos:
  - plugin: motion # built-in
    name: det
    track: { type: iou }
analytics:
  # the first line
  - type: line
    name: old
    on: det
    points: [[0, 1], [2, 3]] # drawn by hand
`;

Deno.test("editor: a new line is appended to analytics:, every comment kept", () => {
  const text = withShape(CONFIG, {
    type: "line",
    name: "gate",
    on: "det",
    points: [[0, 5], [9, 5]],
  });
  for (
    const comment of [
      "# traffic pipeline: keep this header",
      "# the clip",
      "# built-in",
      "# the first line",
      "# drawn by hand",
    ]
  ) {
    assert.ok(text.includes(comment), `${comment} kept in:\n${text}`);
  }
  const doc = parse(text);
  assert.equal(doc.analytics.length, 2);
  assert.deepEqual(doc.analytics[1], {
    type: "line",
    name: "gate",
    on: "det",
    points: [[0, 5], [9, 5]],
  });
  assert.ok(
    text.includes("points: [ [ 0, 5 ], [ 9, 5 ] ]") || text.includes("points: [[0, 5], [9, 5]]"),
    text,
  );
});

Deno.test("editor: a shape of the same name replaces the entry; a config without analytics: gets one", () => {
  const text = withShape(CONFIG, {
    type: "zone",
    name: "old",
    on: "det",
    points: [[0, 0], [9, 0], [9, 9]],
  });
  const doc = parse(text);
  assert.equal(doc.analytics.length, 1);
  assert.equal(doc.analytics[0].type, "zone");
  assert.ok(text.includes("# the first line"));
  const fresh = withShape("# only a source\nsource: a.mp4\n", {
    type: "line",
    name: "l",
    on: "det",
    points: [[0, 0], [1, 1]],
  });
  assert.ok(fresh.startsWith("# only a source\n"));
  assert.equal(parse(fresh).analytics[0].name, "l");
});

Deno.test("editor: bad shapes are refused with a one-line reason", () => {
  const bad: [unknown, RegExp][] = [
    [{ type: "zone", name: "z", on: "det", points: [[0, 0], [5, 5]] }, /bad zone: points/],
    [{ type: "zone", name: "z", on: "det", points: [[0, 0], [5, 5], [10, 10]] }, /no area/],
    [{ type: "zone", name: "z", on: "det", points: [[0, 0], [10, 10], [10, 0], [0, 10]] }, /cross/],
    [{ type: "line", name: "l", on: "det", points: [[3, 3], [3, 3]] }, /all the same/],
    [{ type: "line", name: "", on: "det", points: [[0, 0], [3, 3]] }, /bad line: name/],
    [{ type: "line", name: "l", on: "det", points: [[0, 0], [300, 3]] }, /outside the 64x48 frame/],
    [{ type: "circle" }, /type must be line or zone/],
  ];
  for (const [shape, message] of bad) {
    assert.throws(() => checkShape(shape, { width: 64, height: 48 }), (e: Error) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
  const ok = checkShape({
    type: "zone",
    name: "z",
    on: "det",
    points: [[0, 0], [10.04, 0], [10, 10]],
  });
  assert.deepEqual(ok.points, [[0, 0], [10, 0], [10, 10]]);
});

Deno.test("editor: saveShape writes the file, and refuses a shape that breaks the config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stream-infer-test-" });
  try {
    const file = `${dir}/p.yaml`;
    await Deno.writeTextFile(file, CONFIG);
    await saveShape(file, { type: "line", name: "gate", on: "det", points: [[0, 5], [9, 5]] });
    const text = await Deno.readTextFile(file);
    assert.ok(text.includes("# drawn by hand") && text.includes("name: gate"));
    // two entries of one name, written by hand, make the config invalid: nothing is written
    await Deno.writeTextFile(
      file,
      CONFIG + "  - { type: line, name: old, on: det, points: [[0, 0], [1, 1]] }\n",
    );
    const before = await Deno.readTextFile(file);
    await assert.rejects(
      saveShape(file, { type: "line", name: "new", on: "det", points: [[0, 0], [1, 1]] }),
      /used twice/,
    );
    assert.equal(await Deno.readTextFile(file), before);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["p.yaml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
