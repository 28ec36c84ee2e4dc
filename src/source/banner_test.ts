import assert from "node:assert/strict";
import { inputBanner } from "./banner.ts";

Deno.test("inputBanner reads size, rate, duration, pixel format and colour matrix", () => {
  const tagged = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
  Duration: 00:00:30.16, start: 0.000000, bitrate: 1209 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 1203 kb/s, 25 fps, 25 tbr, 12800 tbn (default)`;
  assert.deepEqual(inputBanner(tagged), {
    width: 1920,
    height: 1080,
    fps: 25,
    seconds: 30.16,
    pixelFormat: "yuv420p",
    colorSpace: "bt709",
  });
  const mjpeg = `Input #0, video4linux2,v4l2, from '/dev/video0':
  Duration: N/A, start: 1234.5, bitrate: N/A
  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 640x480, 30 fps, 30 tbr, 1000k tbn`;
  assert.deepEqual(inputBanner(mjpeg), {
    width: 640,
    height: 480,
    fps: 30,
    seconds: 0,
    pixelFormat: "yuvj420p",
    colorSpace: "bt470bg",
  });
  const plain =
    `  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 160x120, 10 fps, 10 tbr, 1200k tbn`;
  assert.deepEqual(inputBanner(plain), {
    width: 160,
    height: 120,
    fps: 10,
    seconds: 0,
    pixelFormat: "yuv420p",
  });
  assert.equal(
    inputBanner("Input #0, wav, from 'a.wav':\n  Stream #0:0: Audio: pcm_s16le"),
    undefined,
  );
});
