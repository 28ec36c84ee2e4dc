/**
 * The `track:`, `input:` and `analytics:` keys of a pipeline config: parsed with defaults,
 * bad values refused with FILE:LINE, and a line reading an untracked algorithm refused by the
 * CLI with one line (exit 2).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../mod.ts";
import {
  assertOneLineError,
  FIXTURES,
  makeColorClip,
  runCli,
  withTempDir,
  writeText,
} from "./helpers.ts";

const BASE = `source: clip.mp4
algos:
  - plugin: ${FIXTURES}/colour_boxes.ts
    name: det
    options: { colours: { red: [255, 0, 0] } }
    track: { type: iou, maxAge: 2 }
  - plugin: ${FIXTURES}/crop_probe.ts
    name: probe
    input: { from: det, classes: [red, 2], pad: 0.1 }
analytics:
  - { type: line, name: gate, on: det, points: [[0, 100], [320, 100]], anchor: bottom-centre }
  - type: zone
    name: dock
    on: det
    points: [[0, 0], [100, 0], [100, 100]]
    loiterSeconds: 30
`;

Deno.test("analytics config: track, input and analytics keys are parsed", () => {
  const config = parseConfig(BASE, "/srv/p.yaml");
  assert.deepEqual(config.algos[0].track, { type: "iou", maxAge: 2 });
  assert.deepEqual(config.algos[1].input, { from: "det", classes: ["red", "2"], pad: 0.1 });
  assert.equal(config.analytics?.length, 2);
  assert.equal(config.analytics?.[0].anchor, "bottom-center");
  assert.equal(config.analytics?.[1].type, "zone");
});

Deno.test("analytics config: bad values are FILE:LINE errors", () => {
  const cases: [string, string, RegExp][] = [
    ["track: { type: iou, maxAge: 2 }", "track: { type: sort }", /p.yaml:6: .*track.type/],
    ["track: { type: iou, maxAge: 2 }", "track: { maxAge: 2, colour: 1 }", /p.yaml:6: .*colour/],
    ["anchor: bottom-centre", "anchor: middle", /p.yaml:11: .*anchor/],
    [
      "points: [[0, 0], [100, 0], [100, 100]]",
      "points: [[0, 0], [1, 1]]",
      /p.yaml:1[45]: .*points/,
    ],
    ["name: dock", "name: gate", /p.yaml:1[23]: .*'gate' is used twice/],
  ];
  for (const [from, to, error] of cases) {
    assert.throws(() => parseConfig(BASE.replace(from, to), "/srv/p.yaml"), error, to);
  }
});

Deno.test("analytics config: a line on an untracked algorithm is one line, exit 2", async () => {
  await withTempDir(async (dir) => {
    await makeColorClip(`${dir}/clip.mp4`, [255, 0, 0]);
    const untracked = BASE.replace("    track: { type: iou, maxAge: 2 }\n", "");
    const config = await writeText(`${dir}/p.yaml`, untracked);
    const out = await runCli(["run", config]);
    assert.equal(out.code, 2);
    assert.match(assertOneLineError(out), /analytics 'gate': on: 'det' is not tracked/);
  });
});
