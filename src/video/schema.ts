/**
 * The zod schema fragments of the video keys of the pipeline config: `record:`, `restream:`,
 * `hls:` (top level or per source), `snapshot:` and `clips:`, with their `when:` predicate, and
 * the parsed shapes. `src/config/schema.ts` plugs them in with its path schema, so path keys
 * resolve against the config file's folder.
 *
 * @module
 */
import { z } from "zod";
import type { When } from "./when.ts";

/** A path key's schema: a string in, the path resolved against the config's folder out. */
export type PathSchema = z.ZodType<string, string>;

function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key '${issue.keys[0]}' (allowed: ${allowed})`
        : undefined,
  });
}

const preset = z.enum([
  "ultrafast",
  "superfast",
  "veryfast",
  "faster",
  "fast",
  "medium",
  "slow",
]);

/**
 * The `record:` key: a path, or `{ path, preset }` (parsed as given; paths resolved).
 *
 * @example
 * ```ts
 * import { recordSchema } from "./schema.ts";
 * import { z } from "zod";
 * console.log(recordSchema(z.string()).parse({ path: "out.mp4" })); // { path: "out.mp4" }
 * ```
 */
export function recordSchema(path: PathSchema): z.ZodType<string | RecordConfig, unknown> {
  return z.union([
    path,
    strict({ path, preset: preset.optional() }),
  ], { error: "must be a path, or { path, preset }" }) as unknown as z.ZodType<
    RecordConfig,
    unknown
  >;
}

const PUSH_URL = /^(rtmps?|rtsp):\/\/\S+$/i;

/**
 * The `restream:` key: an `rtmp://`, `rtmps://` or `rtsp://` URL, or `{ url, preset }`.
 *
 * @example
 * ```ts
 * import { restreamSchema } from "./schema.ts";
 * console.log(restreamSchema().parse("rtmp://127.0.0.1/live/x")); // "rtmp://127.0.0.1/live/x"
 * ```
 */
export function restreamSchema(): z.ZodType<string | RestreamConfig, unknown> {
  const url = z.string().regex(PUSH_URL, "must be an rtmp://, rtmps:// or rtsp:// URL");
  return z.union([
    url,
    strict({ url, preset: preset.optional() }),
  ], {
    error: "must be an rtmp://, rtmps:// or rtsp:// URL, or { url, preset }",
  }) as unknown as z.ZodType<string | RestreamConfig, unknown>;
}

/**
 * The `hls:` key: a folder, or `{ dir, segmentSeconds, listSize, preset }`.
 *
 * @example
 * ```ts
 * import { hlsSchema } from "./schema.ts";
 * import { z } from "zod";
 * console.log(hlsSchema(z.string()).parse({ dir: "hls", listSize: 4 })); // { dir: "hls", listSize: 4 }
 * ```
 */
export function hlsSchema(path: PathSchema): z.ZodType<string | HlsConfig, unknown> {
  return z.union([
    path,
    strict({
      dir: path,
      segmentSeconds: z.number().min(0.5).max(60).optional(),
      listSize: z.int().min(1).max(1000).optional(),
      preset: preset.optional(),
    }),
  ], {
    error: "must be a folder, or { dir, segmentSeconds, listSize, preset }",
  }) as unknown as z.ZodType<string | HlsConfig, unknown>;
}

/**
 * The `when:` predicate of snapshots and clips.
 *
 * @example
 * ```ts
 * import { whenSchema } from "./schema.ts";
 * console.log(whenSchema().parse({ algo: "det", class: "person" }));
 * ```
 */
export function whenSchema(): z.ZodType<When, unknown> {
  return strict({
    algo: z.string().min(1),
    class: z.string().min(1).optional(),
    minScore: z.number().min(0).optional(),
    minCount: z.int().min(0).optional(),
    event: z.string().min(1).optional(),
  }) as unknown as z.ZodType<When, unknown>;
}

/**
 * The `snapshot:` key: `{ when, dir, cooldown }`.
 *
 * @example
 * ```ts
 * import { snapshotSchema } from "./schema.ts";
 * import { z } from "zod";
 * console.log(snapshotSchema(z.string()).parse({ when: { algo: "det" }, dir: "snaps" }));
 * ```
 */
export function snapshotSchema(path: PathSchema): z.ZodType<SnapshotConfig, unknown> {
  return strict({
    when: whenSchema(),
    dir: path,
    cooldown: z.number().min(0).optional(),
  }) as unknown as z.ZodType<SnapshotConfig, unknown>;
}

/**
 * The `clips:` key: `{ when, pre, post, dir, preset }`.
 *
 * @example
 * ```ts
 * import { clipsSchema } from "./schema.ts";
 * import { z } from "zod";
 * console.log(clipsSchema(z.string()).parse({ when: { algo: "det" }, pre: 3, post: 3, dir: "clips" }));
 * ```
 */
export function clipsSchema(path: PathSchema): z.ZodType<ClipsConfig, unknown> {
  return strict({
    when: whenSchema(),
    pre: z.number().min(0).max(300).optional(),
    post: z.number().min(0).max(300).optional(),
    dir: path,
    preset: preset.optional(),
  }) as unknown as z.ZodType<ClipsConfig, unknown>;
}

/**
 * A parsed `record:` key.
 *
 * @example
 * ```ts
 * import type { RecordConfig } from "@stream-infer/stream-infer";
 * const r: RecordConfig = { path: "/srv/out/{source}.mp4" };
 * ```
 */
export interface RecordConfig {
  /** The mp4 path (resolved). */
  path: string;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `restream:` key.
 *
 * @example
 * ```ts
 * import type { RestreamConfig } from "@stream-infer/stream-infer";
 * const r: RestreamConfig = { url: "rtmp://127.0.0.1/live/{source}" };
 * ```
 */
export interface RestreamConfig {
  /** The push URL. */
  url: string;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `hls:` key.
 *
 * @example
 * ```ts
 * import type { HlsConfig } from "@stream-infer/stream-infer";
 * const h: HlsConfig = { dir: "/srv/hls/{source}", segmentSeconds: 2 };
 * ```
 */
export interface HlsConfig {
  /** The folder (resolved). */
  dir: string;
  /** Seconds per segment. */
  segmentSeconds?: number;
  /** Segments in the playlist. */
  listSize?: number;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `snapshot:` key.
 *
 * @example
 * ```ts
 * import type { SnapshotConfig } from "@stream-infer/stream-infer";
 * const s: SnapshotConfig = { when: { algo: "det" }, dir: "/srv/snaps", cooldown: 5 };
 * ```
 */
export interface SnapshotConfig {
  /** Which records take a snapshot. */
  when: When;
  /** The folder (resolved). */
  dir: string;
  /** Seconds between two snapshots of a source. */
  cooldown?: number;
}

/**
 * A parsed `clips:` key.
 *
 * @example
 * ```ts
 * import type { ClipsConfig } from "@stream-infer/stream-infer";
 * const c: ClipsConfig = { when: { algo: "det" }, pre: 5, post: 5, dir: "/srv/clips" };
 * ```
 */
export interface ClipsConfig {
  /** Which records start or extend a clip. */
  when: When;
  /** Seconds before the first match. */
  pre?: number;
  /** Seconds after the last match. */
  post?: number;
  /** The folder (resolved). */
  dir: string;
  /** libx264 preset of the segments. */
  preset?: string;
}
