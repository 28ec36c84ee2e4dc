import assert from "node:assert/strict";
import { childFfmpeg } from "../../tests/helpers.ts";
import type { Frame } from "../frame.ts";
import { FrameHub } from "./frames.ts";
import { splitJpegs } from "./jpeg.ts";
import { BOUNDARY, mjpegResponse } from "./mjpeg.ts";

function frame(index: number, source = "main", width = 64, height = 48): Frame {
  const data = new Uint8Array(width * height * 3).fill((index * 37) & 255);
  return { data, width, height, format: "bgr24", index, source, time: index / 25 };
}

Deno.test("frame hub: nothing is drawn or encoded, and no ffmpeg runs, without a watcher", async () => {
  const hub = new FrameHub({ maxFps: 1000 });
  assert.equal(hub.everyFrame, false);
  for (let i = 0; i < 20; i++) hub.onFrame(frame(i), []);
  assert.equal(hub.drawn, 0);
  assert.deepEqual(hub.encoding(), []);
  assert.deepEqual(await childFfmpeg(), []);
  await hub.close();
});

Deno.test("frame hub: every watcher of a source gets its images; the last one leaving ends ffmpeg", async () => {
  const hub = new FrameHub({ maxFps: 1000 });
  const a = hub.watch("main");
  const b = hub.watch("main");
  const other = hub.watch("side");
  assert.equal(hub.everyFrame, true);
  assert.equal(hub.watchers("main"), 2);
  const gotA = a.next();
  const gotB = b.next();
  for (let i = 0; hub.images === 0 && i < 500; i++) {
    hub.onFrame(frame(i), []);
    await new Promise((r) => setTimeout(r, 10));
  }
  const [ja, jb] = await Promise.all([gotA, gotB]);
  assert.ok(ja && jb);
  assert.equal(ja[0], 0xff);
  assert.equal(ja[1], 0xd8); // a JPEG
  assert.deepEqual(splitJpegs(ja).images.length, 1);
  assert.deepEqual(hub.encoding(), ["main"]); // the unwatched-by-frames source has none
  assert.equal((await childFfmpeg()).length, 1);
  a.close();
  assert.deepEqual(hub.encoding(), ["main"]); // b still watches
  b.close();
  assert.deepEqual(hub.encoding(), []);
  await hub.settled();
  assert.deepEqual(await childFfmpeg(), []);
  other.close();
  assert.equal(hub.everyFrame, false);
  await hub.close();
});

Deno.test("frame hub: a slow watcher gets the newest image, not a queue of stale ones", async () => {
  const hub = new FrameHub({ maxFps: 1000 });
  const slow = hub.watch("main");
  for (let i = 0; hub.images < 5 && i < 2000; i++) {
    hub.onFrame(frame(i), []);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(hub.images >= 5, "five images were made");
  // five images came while the watcher read none: it gets one, the newest, then waits
  const first = await slow.next();
  assert.ok(first);
  let second: Uint8Array | null | "pending" = "pending";
  slow.next().then((v) => second = v);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second, "pending");
  slow.close();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(second, null);
  await hub.close();
});

Deno.test("frame hub: an MJPEG response streams parts and cancelling it stops watching", async () => {
  const hub = new FrameHub({ maxFps: 1000 });
  const response = mjpegResponse(hub.watch("main"));
  assert.equal(
    response.headers.get("content-type"),
    `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
  );
  const reader = response.body!.getReader();
  const head = await reader.read();
  assert.equal(new TextDecoder().decode(head.value), `--${BOUNDARY}\r\n`);
  const part = reader.read();
  for (let i = 0; hub.images === 0 && i < 500; i++) {
    hub.onFrame(frame(i), []);
    await new Promise((r) => setTimeout(r, 10));
  }
  const text = new TextDecoder("latin1").decode((await part).value);
  assert.match(text, /^Content-Type: image\/jpeg\r\nContent-Length: \d+\r\n\r\n\xff\xd8/);
  assert.ok(text.endsWith(`\r\n--${BOUNDARY}\r\n`));
  await reader.cancel();
  assert.equal(hub.watchers("main"), 0);
  await hub.close();
  assert.deepEqual(await childFfmpeg(), []);
});

Deno.test("frame hub: closing ends every watcher", async () => {
  const hub = new FrameHub();
  const w = hub.watch("main");
  const next = w.next();
  await hub.close();
  assert.equal(await next, null);
  assert.equal(await hub.watch("main").next(), null);
});

Deno.test("splitJpegs: images cut across chunks, markers in the header skipped by length", () => {
  // a DQT-like segment whose payload holds FF D9: only the EOI after the scan ends the image
  const jpeg = [
    0xff,
    0xd8,
    0xff,
    0xdb,
    0,
    4,
    0xff,
    0xd9,
    0xff,
    0xda,
    0,
    2,
    5,
    0xff,
    0,
    0xff,
    0xd0,
    7,
    0xff,
    0xd9,
  ];
  const both = new Uint8Array([...jpeg, ...jpeg]);
  for (let cut = 0; cut <= both.length; cut++) {
    const first = splitJpegs(both.subarray(0, cut));
    const rest = new Uint8Array([...first.rest, ...both.subarray(cut)]);
    const second = splitJpegs(rest);
    const images = [...first.images, ...second.images];
    assert.equal(images.length, 2, `cut at ${cut}`);
    assert.deepEqual([...images[0]], jpeg);
    assert.equal(second.rest.length, 0);
  }
});

Deno.test("frame hub: the annotate hook draws on the watched frames only, on copies", async () => {
  let calls = 0;
  const hub = new FrameHub({
    maxFps: 1000,
    annotator: {
      annotate: ({ canvas }) => {
        calls++;
        canvas.line(0, 0, 63, 0, [255, 255, 255], 1);
      },
    },
  });
  const unwatched = frame(0);
  hub.onFrame(unwatched, []);
  assert.equal(calls, 0);
  const watcher = hub.watch("main");
  const next = watcher.next();
  for (let i = 0; hub.images === 0 && i < 500; i++) {
    const f = frame(i);
    hub.onFrame(f, []);
    assert.ok(f.data.every((v) => v === f.data[0]), "the played frame is not drawn on");
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(await next);
  assert.ok(calls > 0);
  watcher.close();
  await hub.close();
});
