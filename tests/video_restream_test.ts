/**
 * Live restream (issue 10): a realtime run pushes H.264 to a real RTMP server on loopback
 * (Debian nginx with libnginx-mod-rtmp), which ffprobe reads at the source's fps while the run
 * is live; the server is killed mid-run, the run goes on, and the push resumes when the
 * server is back. HLS: the playlist moves on and its segments decode.
 */
import assert from "node:assert/strict";
import { Inference } from "../src/run/inference.ts";
import { Player } from "../src/source/player.ts";
import { FFmpegProducer } from "../src/source/producer.ts";
import { Restream } from "../src/video/restream.ts";
import VideoSquare from "./fixtures/video_square.ts";
import { withTempDir } from "./helpers.ts";
import {
  assertNoFfmpegLeft,
  delay,
  freeTcpPort,
  isListening,
  waitUntil,
  within,
} from "./live_helpers.ts";
import { RtmpServer } from "./rtmp_peer.ts";
import { decodeErrors, makeSquareClip, probeVideo, type VideoProbe } from "./video_tools.ts";

/** ffprobe of a live URL, or undefined while nothing is published there. */
async function probeLive(url: string): Promise<VideoProbe | undefined> {
  try {
    return await probeVideo(url, false);
  } catch {
    return undefined;
  }
}

async function realtimeRun(clip: string, restream: Restream) {
  const inference = new Inference(undefined, { log: false });
  await inference.loadAlgo(new VideoSquare(), {
    name: "sq",
    frameCount: 1,
    frameStep: 0,
    interval: 0.5,
  });
  inference.observe(restream);
  let frames = 0;
  inference.observe({ onFrame: () => void frames++ });
  const done = inference.start(new Player(new FFmpegProducer(), clip), { mode: "realtime" });
  return { inference, done, frames: () => frames };
}

Deno.test({
  name: "restream to nginx-rtmp: H.264 at the source's fps; the server goes away and comes back",
  ignore: !RtmpServer.available(),
  async fn() {
    await withTempDir(async (dir) => {
      const clip = await makeSquareClip(`${dir}/live.mp4`, {
        seconds: 120,
        fps: 10,
        width: 160,
        height: 120,
      });
      const server = await RtmpServer.start(dir);
      const messages: string[] = [];
      const restream = new Restream({
        url: server.url("{source}"),
        retryMs: 500,
        onMessage: (m) => messages.push(m),
      });
      const run = await realtimeRun(clip.path, restream);
      try {
        let live: VideoProbe | undefined;
        await waitUntil(30_000, "ffprobe reads the restream", async () => {
          live = await probeLive(server.url("main"));
          return live !== undefined;
        });
        assert.equal(live!.codec, "h264");
        assert.equal(live!.fps, clip.fps);
        assert.deepEqual([live!.width, live!.height], [clip.width, clip.height]);

        await server.stop();
        const before = run.frames();
        await waitUntil(
          20_000,
          "the encoder notices the server is gone",
          () => messages.some((m) => m.includes("retrying")),
        );
        await delay(1500);
        assert.ok(run.frames() > before, "the run goes on while the server is down");
        assert.ok(run.inference.running);

        await server.start();
        await waitUntil(
          60_000,
          "ffprobe reads the restream again",
          async () => (await probeLive(server.url("main")))?.codec === "h264",
        );
        assert.ok(restream.stats().main.restarts >= 1, JSON.stringify(restream.stats()));
        assert.ok(restream.stats().main.dropped > 0, "frames dropped while the server was down");
      } finally {
        run.inference.stop();
        await within(30_000, "the run stops", run.done);
        await run.inference.dispose();
        await server.stop();
      }
      await assertNoFfmpegLeft(dir);
    });
  },
});

Deno.test("hls: the playlist moves on and its segments decode", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/live.mp4`, {
      seconds: 60,
      fps: 10,
      width: 160,
      height: 120,
    });
    const restream = new Restream({ hls: `${dir}/hls/{source}`, segmentSeconds: 1, listSize: 3 });
    const run = await realtimeRun(clip.path, restream);
    const playlist = `${dir}/hls/main/index.m3u8`;
    const sequence = async () => {
      const text = await Deno.readTextFile(playlist).catch(() => "");
      return Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? -1);
    };
    try {
      await waitUntil(30_000, "a playlist", async () => (await sequence()) >= 0);
      const first = await sequence();
      await waitUntil(30_000, "the playlist moves on", async () => (await sequence()) > first + 1);
      const text = await Deno.readTextFile(playlist);
      const segments = text.split("\n").filter((l) => l.endsWith(".ts"));
      assert.ok(segments.length >= 2 && segments.length <= 3, text);
      for (const name of segments) {
        const path = `${dir}/hls/main/${name}`;
        // a listed segment may be deleted by the time it is read once the list moves on
        const err = await decodeErrors(path);
        if (!err.includes("No such file")) assert.equal(err, "", name);
      }
      // old segments are deleted: only the listed ones (and the one being written) are left
      const files = [...Deno.readDirSync(`${dir}/hls/main`)].filter((e) => e.name.endsWith(".ts"));
      assert.ok(files.length <= 5, files.map((f) => f.name).join(" "));
    } finally {
      run.inference.stop();
      await within(30_000, "the run stops", run.done);
      await run.inference.dispose();
    }
    const info = await probeVideo(playlist, false);
    assert.deepEqual([info.codec, info.width, info.height], ["h264", clip.width, clip.height]);
    await assertNoFfmpegLeft(dir);
  });
});

Deno.test("restream to an RTSP receiver (ffmpeg -rtsp_flags listen): it records the pushed H.264", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/live.mp4`, {
      seconds: 60,
      fps: 10,
      width: 160,
      height: 120,
    });
    const port = freeTcpPort();
    const url = `rtsp://127.0.0.1:${port}/live/main`;
    const receiver = new Deno.Command("ffmpeg", {
      args: [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-rtsp_flags",
        "listen",
        "-i",
        url,
        "-c",
        "copy",
        "-y",
        `${dir}/received.mp4`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const receiverLog = new Response(receiver.stderr).text();
    const restream = new Restream({ url: `rtsp://127.0.0.1:${port}/live/{source}` });
    let run: Awaited<ReturnType<typeof realtimeRun>> | undefined;
    try {
      await waitUntil(10_000, "the receiver listens", () => isListening(port));
      run = await realtimeRun(clip.path, restream);
      await waitUntil(30_000, "frames pushed", () => (restream.stats().main?.written ?? 0) > 30);
    } finally {
      run?.inference.stop();
      if (run) await within(30_000, "the run stops", run.done);
      await run?.inference.dispose();
      // the push ends with a TEARDOWN: the receiver finishes its file and exits
      const status = await within(30_000, "the receiver ends", receiver.status).catch(() => {
        receiver.kill("SIGKILL");
        return receiver.status;
      });
      const log = await receiverLog;
      assert.equal(status.code, 0, log);
    }
    const info = await probeVideo(`${dir}/received.mp4`);
    assert.deepEqual(
      [info.codec, info.fps, info.width, info.height],
      ["h264", clip.fps, clip.width, clip.height],
    );
    assert.ok(info.frames > 20, `${info.frames} frames received`);
    await assertNoFfmpegLeft(dir);
  });
});

Deno.test("restream to a server that never answers: the run goes on, frames are dropped, stop() ends it", async () => {
  await withTempDir(async (dir) => {
    const clip = await makeSquareClip(`${dir}/live.mp4`, {
      seconds: 60,
      fps: 10,
      width: 160,
      height: 120,
    });
    // accepts connections and never reads or writes: ffmpeg hangs in the RTMP handshake, its
    // stdin stops being read, and the queue in front of it fills up
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn);
    })();
    const port = (listener.addr as Deno.NetAddr).port;
    const restream = new Restream({ url: `rtmp://127.0.0.1:${port}/live/{source}` });
    const run = await realtimeRun(clip.path, restream);
    try {
      await waitUntil(
        30_000,
        "frames dropped in front of the stuck encoder",
        () => (restream.stats().main?.dropped ?? 0) > 20,
      );
      const before = run.frames();
      await waitUntil(30_000, "the run goes on", () => run.frames() > before + 20);
      assert.ok(run.inference.running);
    } finally {
      run.inference.stop();
      // the encoder is closed within its bounds (5 s, then SIGTERM, then SIGKILL)
      await within(60_000, "the run stops", run.done);
      await run.inference.dispose();
      listener.close();
      await accepting.catch(() => {});
      for (const conn of held) conn.close();
    }
    await assertNoFfmpegLeft(dir);
  });
});
