/**
 * onnxruntime: loading `onnxruntime-node` on first use, and the session options the detector
 * creates its session with.
 *
 * @module
 */
import { PluginError } from "../../mod.ts";
import type { YoloOptions } from "./types.ts";

/** The `onnxruntime-node` module. */
export type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | null = null;

/**
 * Loads onnxruntime-node on first use, so that importing the plugin (for its pure helpers, or
 * to check a plugin's shape) does not need `--allow-ffi`.
 */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node").catch((e) => {
    ortModule = null;
    const msg = e instanceof Error ? e.message : String(e);
    throw new PluginError(
      `YoloDetector: cannot load onnxruntime-node (it needs --allow-ffi): ${msg}`,
      { cause: e },
    );
  });
  return ortModule;
}

/**
 * onnxruntime session options, as {@link yoloSessionOptions} returns them (a subset of
 * onnxruntime's `InferenceSession.SessionOptions`).
 *
 * @example
 * ```ts
 * import type { YoloSessionOptions } from "@stream-infer/stream-infer/plugins/yolo";
 * const opts: YoloSessionOptions = { graphOptimizationLevel: "all", intraOpNumThreads: 2 };
 * ```
 */
export interface YoloSessionOptions {
  /** Graph optimisations: always `"all"`. */
  graphOptimizationLevel: "all";
  /** Intra-op threads, when the `threads` option is set. */
  intraOpNumThreads?: number;
  /** Session config entries, nested by the dots of their keys. */
  extra?: { session: Record<string, unknown> };
}

/**
 * The onnxruntime session options {@link YoloDetector} creates its session with, from its
 * `threads` and `spinning` options and the number of instances running side by side
 * (exposed so that benchmarks can match them).
 *
 * @example
 * ```ts
 * import { yoloSessionOptions } from "@stream-infer/stream-infer/plugins/yolo";
 * console.log(yoloSessionOptions({ threads: 2, spinning: "run" }));
 * // { graphOptimizationLevel: "all", intraOpNumThreads: 2,
 * //   extra: { session: { force_spinning_stop: "1" } } }
 * ```
 */
export function yoloSessionOptions(
  options: Pick<YoloOptions, "threads" | "spinning"> = {},
  instances = 1,
): YoloSessionOptions {
  // Session config entries (onnxruntime_session_options_config_keys.h): the Node binding
  // takes them nested, and joins the keys with dots.
  const session: Record<string, unknown> = {};
  if (options.spinning === false) session.intra_op = { allow_spinning: "0" };
  if (options.spinning === "run") session.force_spinning_stop = "1";
  const threads = options.threads ??
    (instances > 1
      ? Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / instances))
      : undefined);
  return {
    graphOptimizationLevel: "all",
    ...(threads ? { intraOpNumThreads: threads } : {}),
    ...(Object.keys(session).length ? { extra: { session } } : {}),
  };
}
