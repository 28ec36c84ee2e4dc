import assert from "node:assert/strict";
import { z } from "zod";
import type { RunObserver } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { attachVideo, type VideoTarget } from "./config.ts";
import { Recorder } from "./recorder.ts";
import { Restream } from "./restream.ts";
import { clipsSchema, hlsSchema, recordSchema, restreamSchema, snapshotSchema } from "./schema.ts";

/** Collects what attachVideo attaches. */
function target() {
  const observers: RunObserver[] = [];
  const stages: string[] = [];
  const emitted: AlgoRecord[] = [];
  const t: VideoTarget = {
    observe: (o) => {
      observers.push(o);
      return () => {};
    },
    addStage: (s) => void stages.push(s.name),
    emit: (r) => {
      emitted.push(r);
      return Promise.resolve();
    },
  };
  return { t, observers, stages, emitted };
}

Deno.test("attachVideo: nothing configured attaches nothing", () => {
  const { t, observers } = target();
  assert.equal(attachVideo(t, { sources: [{ id: "a" }] }), undefined);
  assert.equal(observers.length, 0);
});

Deno.test("attachVideo: top-level keys serve every source but those with their own", () => {
  const { t, observers, stages } = target();
  const video = attachVideo(t, {
    record: "out/{source}.mp4",
    hls: { dir: "hls/{source}", listSize: 3 },
    restream: "rtmp://127.0.0.1/live/{source}",
    snapshot: { when: { algo: "det" }, dir: "snaps" },
    clips: { when: { algo: "det", class: "person" }, dir: "clips" },
    sources: [
      { id: "a" },
      { id: "b", record: { path: "b.mp4", preset: "ultrafast" } },
      { id: "c", restream: "rtsp://127.0.0.1/c" },
    ],
  })!;
  const recorders = video.encoders.filter((e) => e instanceof Recorder);
  const pushes = video.encoders.filter((e) => e instanceof Restream);
  assert.deepEqual(recorders.map((r) => [r.targetOf("a"), r.targetOf("b")]), [
    ["out/a.mp4", "out/b.mp4"],
    ["b.mp4", "b.mp4"],
  ]);
  assert.deepEqual(pushes.map((r) => r.targetOf("c")).sort(), [
    "hls/c",
    "rtmp://127.0.0.1/live/c",
    "rtsp://127.0.0.1/c",
  ]);
  // video outputs, snapshots and clips observe the run; clips add their end-of-source stage
  assert.equal(observers.length, video.encoders.length + 2);
  assert.deepEqual(stages, ["clips"]);
});

Deno.test("attachVideo: a shared target without {source} for several sources is an input error", () => {
  const { t } = target();
  assert.throws(
    () => attachVideo(t, { hls: "hls", sources: [{ id: "a" }, { id: "b" }] }),
    /hls: 2 sources would share 'hls': put \{source\} in it/,
  );
  // one source left for the top-level key: fine
  attachVideo(t, { record: "x.mp4", sources: [{ id: "a" }, { id: "b", record: "b.mp4" }] });
});

Deno.test("video schemas: the accepted shapes and the one-line errors", () => {
  const path = z.string().transform((p) => `/cfg/${p}`) as z.ZodType<string, string>;
  assert.equal(recordSchema(path).parse("a.mp4"), "/cfg/a.mp4");
  assert.deepEqual(recordSchema(path).parse({ path: "a.mp4", preset: "fast" }), {
    path: "/cfg/a.mp4",
    preset: "fast",
  });
  assert.equal(restreamSchema().parse("rtsp://h/x"), "rtsp://h/x");
  assert.deepEqual(hlsSchema(path).parse({ dir: "h", segmentSeconds: 1 }), {
    dir: "/cfg/h",
    segmentSeconds: 1,
  });
  const first = (r: { error?: { issues: { message: string }[] } }) => r.error?.issues[0].message;
  assert.match(
    first(restreamSchema().safeParse("http://h/x"))!,
    /must be an rtmp:\/\/, rtmps:\/\/ or rtsp:\/\/ URL/,
  );
  assert.match(first(recordSchema(path).safeParse({ path: "a", preset: "turbo" }))!, /path/);
  assert.match(
    first(snapshotSchema(path).safeParse({ when: { algo: "d", klass: "x" }, dir: "s" }))!,
    /unknown key 'klass'/,
  );
  assert.ok(
    !clipsSchema(path).safeParse({ when: { class: "x" }, dir: "c" }).success,
    "algo needed",
  );
  assert.ok(!clipsSchema(path).safeParse({ when: { algo: "d" }, dir: "c", pre: -1 }).success);
});
