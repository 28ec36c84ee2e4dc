/**
 * The whole pipeline config schema (zod), composed from one fragment per feature.
 *
 * ## Contract for schema fragments (read this before plugging one in)
 *
 * - {@link pipelineSchema}`(baseDir)` builds the schema for a config whose folder is `baseDir`.
 *   Every path key must follow the one path rule (relative to the config file), so fragments
 *   are **factories that take the path schema**: `path` below is `configPath(baseDir)` from
 *   `paths.ts`, a zod schema with a string in and the resolved path out. Use it for every
 *   path-like key of your fragment (`path:`, `dir:`, a file `record:` ...).
 * - A fragment lives in its owner's folder (`src/sinks/config.ts`, `src/video/config.ts`,
 *   `src/analytics/config.ts`) and exports e.g. `sinkSchemas(path: PathSchema)`. It must not
 *   import `src/config/` (the folder table: `config/` imports the feature folders, not the
 *   reverse); take `PathSchema` as `z.ZodType<string, string>` if you prefer.
 * - Objects are strict (`z.strictObject`): an unknown key is an error. Errors are turned into
 *   `FILE:LINE: key.path: message` by `issues.ts`; give `{ error: "..." }` to a schema for a
 *   better message than the generic one.
 * - Plugging in is a one-line edit of the matching `// fragment:` line below (replace the
 *   placeholder with your factory call), plus the matching field type in `types.ts` when code
 *   needs the typed value (`PipelineConfig.sinks` etc.). Environment interpolation (`${VAR}`)
 *   has already happened when the schema runs.
 * - Keep fragments free of I/O: checks that touch the disk or the network (a folder exists, a
 *   broker answers) belong to `validate.ts` or to the feature's open/start code.
 *
 * @module
 */
import { z } from "zod";
import { analyticsSchema, inputSchema, trackSchema } from "../analytics/config.ts";
import { PIXEL_FORMATS } from "../frame.ts";
import { parseListen } from "../control/listen.ts";
import { isIntegrity } from "../plugin/integrity.ts";
import { isBuiltinPlugin } from "../plugin/builtin.ts";
import { SOURCE_ID } from "../source/spec.ts";
import type { Mode } from "../observe/observer.ts";
import { describeValue } from "./issues.ts";
import { configPath, type PathSchema, resolveOptionPaths, resolvePath } from "./paths.ts";
import {
  clipsSchema,
  hlsSchema,
  recordSchema,
  restreamSchema,
  snapshotSchema,
} from "../video/config.ts";
import { sinkSchemas } from "../sinks/config.ts";
import type { PipelineConfig, SourceConfig } from "./types.ts";

/**
 * A strict object whose unknown-key error lists the allowed keys.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { strict } from "./schema.ts";
 * const s = strict({ width: z.number().optional() });
 * console.log(s.safeParse({ colour: 1 }).error?.issues[0].message); // unknown key 'colour' (allowed: width)
 * ```
 */
export function strict<T extends z.core.$ZodLooseShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key '${issue.keys[0]}' (allowed: ${allowed})`
        : undefined,
  });
}

const positive = z.number().positive();
const dimension = z.int().min(2).max(16384);

function producerSchema() {
  return strict({
    width: dimension.optional(),
    height: dimension.optional(),
    format: z.enum(PIXEL_FORMATS as [string, ...string[]]).optional(),
    decoding: z.enum(["auto", "ffmpeg"]).optional(),
  });
}

function sourceSchema(path: PathSchema) {
  return strict({
    id: z.string().regex(SOURCE_ID, "must match [A-Za-z0-9_-]+"),
    url: path,
    fps: positive.optional(),
    position: z.number().min(0).optional(),
    producer: producerSchema().optional(),
    record: recordSchema(path).optional(), // fragment: src/video/config.ts (per source)
    restream: restreamSchema().optional(), // fragment: src/video/config.ts (per source)
    hls: hlsSchema(path).optional(), // fragment: src/video/config.ts (per source)
  });
}

function permissionsSchema(path: PathSchema) {
  const names = z.array(z.string().min(1));
  return strict({
    read: z.array(path).optional(),
    write: z.array(path).optional(),
    net: names.optional(),
    env: names.optional(),
    ffi: z.union([z.boolean(), z.array(path)], {
      error: (issue) =>
        `must be true or false, or a list of library paths (got ${describeValue(issue.input)})`,
    }).optional(),
    sys: z.boolean().optional(),
    import: names.optional(),
  });
}

/** The message of a bad `integrity` value. */
function sriError(issue: { input?: unknown }): string {
  return `must be an SRI hash like sha256-<base64> (got ${describeValue(issue.input)}); ` +
    "get it with: stream-infer plugin hash <plugin>";
}

/** A plugin: a built-in name and a URL stay; a path is resolved against the config. */
function pluginSchema(baseDir: string) {
  return z.string().min(1).transform((plugin) =>
    isBuiltinPlugin(plugin) || /^(https?|file):/i.test(plugin)
      ? plugin
      : resolvePath(baseDir, plugin)
  );
}

function algoSchema(baseDir: string, path: PathSchema) {
  return strict({
    plugin: pluginSchema(baseDir),
    name: z.string().min(1).optional(),
    frameCount: z.int().min(1).default(1),
    frameStep: z.int().min(0).default(0),
    interval: positive.default(1),
    options: z.unknown().transform((value) => resolveOptionPaths(value, baseDir)).optional(),
    integrity: z.string({ error: sriError }).trim().refine(isIntegrity, { error: sriError })
      .optional(),
    trust: z.boolean().optional(),
    permissions: permissionsSchema(path).optional(),
    instances: z.int().min(1).optional(),
    track: trackSchema().optional(), // fragment: src/analytics/config.ts
    input: inputSchema().optional(), // fragment: src/analytics/config.ts
  });
}

function controlSchema() {
  return strict({
    listen: z.union([z.string().min(1), z.int()]).default("8600")
      .transform((v) => String(v)),
    token: z.string().min(1).optional(),
  }).superRefine((control, ctx) => {
    try {
      parseListen(control.listen, control.token);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  });
}

/**
 * The zod schema of a whole pipeline config whose file sits in `baseDir`; its output is the
 * {@link PipelineConfig} (without `baseDir`), paths resolved, defaults filled in.
 *
 * @example
 * ```ts
 * import { pipelineSchema } from "./schema.ts";
 * const config = pipelineSchema("/srv/p").parse({ source: "a.mp4", fps: 5 });
 * console.log(config.sources[0].url, config.fps); // "/srv/p/a.mp4" 5
 * ```
 */
export function pipelineSchema(baseDir: string): z.ZodType<Omit<PipelineConfig, "baseDir">> {
  const path = configPath(baseDir);
  return strict({
    source: path.optional(),
    sources: z.array(sourceSchema(path)).optional(),
    mode: z.enum(["offline", "realtime"]).default("offline"),
    fps: positive.nullish(),
    position: z.number().min(0).default(0),
    producer: producerSchema().nullish(),
    algos: z.array(algoSchema(baseDir, path)).nullish(),
    control: controlSchema().optional(),
    ringBudget: z.int().min(1).optional(),
    // one line per fragment: replace the placeholder with the owner's factory call
    sinks: sinkSchemas(path).nullish(), // fragment: src/sinks/config.ts
    record: recordSchema(path).nullish(), // fragment: src/video/config.ts
    restream: restreamSchema().optional(), // fragment: src/video/config.ts
    hls: hlsSchema(path).optional(), // fragment: src/video/config.ts
    snapshot: snapshotSchema(path).optional(), // fragment: src/video/config.ts
    clips: clipsSchema(path).optional(), // fragment: src/video/config.ts
    analytics: analyticsSchema().optional(), // fragment: src/analytics/config.ts
  }).superRefine((raw, ctx) => {
    if (raw.source !== undefined && raw.sources !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sources"],
        message: "give either 'source' or 'sources', not both",
      });
    }
    const seen = new Set<string>();
    raw.sources?.forEach((s, i) => {
      if (seen.has(s.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["sources", i, "id"],
          message: `duplicate source id '${s.id}'`,
        });
      }
      seen.add(s.id);
    });
  }).transform(({ source, sources, fps, producer, algos, sinks, record, ...rest }) => {
    const list: SourceConfig[] = source !== undefined
      ? [{ id: "main", url: source }]
      : (sources ?? []).map(dropUndefined) as SourceConfig[];
    return {
      ...dropUndefined(rest),
      mode: rest.mode as Mode,
      sources: list,
      ...(fps != null ? { fps } : {}),
      producer: producer ?? {},
      algos: (algos ?? []).map(dropUndefined) as PipelineConfig["algos"],
      sinks: (sinks ?? []) as PipelineConfig["sinks"],
      ...(record != null ? { record } : {}),
    };
  }) as z.ZodType<Omit<PipelineConfig, "baseDir">>;
}

/** A copy without the keys whose value is `undefined`. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
