import assert from "node:assert/strict";
import { ProgressBar } from "./progress.ts";
import type { Frame } from "../frame.ts";

const info = (duration: number | null) => ({
  width: 4,
  height: 4,
  fps: 10,
  frameCount: duration === null ? null : duration * 10,
  duration,
  live: duration === null,
});

const frame = (source: string, time: number): Frame => ({
  data: new Uint8Array(48),
  width: 4,
  height: 4,
  format: "rgb24",
  index: Math.round(time * 10),
  source,
  time,
});

Deno.test("progress: one source shows a bar with position and ETA; several show each share", () => {
  const out: string[] = [];
  const bar = new ProgressBar((text) => out.push(text));
  bar.onStart();
  bar.onSource({
    source: "main",
    type: "opened",
    message: "",
    opened: { info: info(10), position: 0 },
  });
  bar.onFrame(frame("main", 5));
  assert.match(bar.line(), /^\[#{15}-{15}\] {2}50% 5\.0\/10\.0 s/);
  assert.equal(out.length, 1, "the first frame draws");
  bar.onFrame(frame("main", 6));
  assert.equal(out.length, 1, "redraws are at most 5 a second");

  bar.onSource({
    source: "cam",
    type: "opened",
    message: "",
    opened: { info: info(null), position: 0 },
  });
  bar.onFrame(frame("cam", 12));
  assert.match(bar.line(), /^main 60% \| cam 12 s {2}\(\d+:\d\d\)$/);
  bar.onSource({ source: "main", type: "ended", message: "" });
  assert.match(bar.line(), /^main done \| cam 12 s/);
  bar.onEnd();
  assert.equal(out.at(-1), "\r\x1b[2K");
});
