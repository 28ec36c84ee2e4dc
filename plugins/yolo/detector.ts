/**
 * The detector: {@link YoloDetector}, a YOLOv8 / YOLO11 model on onnxruntime-node, from
 * letterbox to detections.
 *
 * @module
 */
import type * as ort from "onnxruntime-node";
import { type AlgoContext, BaseAlgo, type Frame, InputError, PluginError } from "../../mod.ts";
import { COCO_NAMES, parseNames, resolveClasses } from "./classes.ts";
import {
  COMPACT_BOXES,
  COMPACT_CLASSES,
  COMPACT_OUTPUTS,
  COMPACT_SCORES,
  withCompactOutputs,
} from "./compact.ts";
import { decodeCompact, decodeFull, type Decoding, decoding, outputShape } from "./decode.ts";
import { letterbox, sizeOf } from "./letterbox.ts";
import { readOnnxMetadata } from "./metadata.ts";
import { loadOrt, type Ort, yoloSessionOptions } from "./session.ts";
import type { Detection, YoloOptions } from "./types.ts";

function checkUnit(name: string, v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
    throw new PluginError(`YoloDetector: option '${name}' must be a number in [0, 1] (got ${v})`);
  }
  return v;
}

function modelPath(model: string): string {
  if (!model.startsWith("file:")) return model;
  return decodeURIComponent(new URL(model).pathname);
}

/** Parses an Ultralytics `imgsz` metadata entry such as "[640, 640]". */
function metaImgsz(v: string | undefined): [number, number] | null {
  const nums = v?.match(/\d+/g)?.map(Number) ?? [];
  if (nums.length === 1 && nums[0] > 0) return [nums[0], nums[0]];
  if (nums.length === 2 && nums[0] > 0 && nums[1] > 0) return [nums[0], nums[1]];
  return null;
}

/**
 * A YOLOv8 / YOLO11 object detector running an Ultralytics ONNX export on onnxruntime-node
 * (CPU).
 *
 * `run(frames)` detects on the **newest** frame only (the last of `frames`), so use it with
 * `frameCount: 1`; with more frames the older ones are ignored. It returns that frame's
 * {@link Detection}s, best first. Calls must not overlap (the runtime runs each instance
 * serially; the input tensor's buffer is reused from run to run); `session.run` blocks the
 * calling thread while the model runs. Apart from that buffer, which each run overwrites
 * whole, it keeps no state between runs: frames of several sources can share one instance,
 * and `instances: 2` (two workers, each with half the cores) is safe, and on CPUs it is faster
 * than one session with all the cores.
 *
 * On loading, the model is extended with three small outputs (the boxes, each anchor's best
 * class score and that class, computed by onnxruntime) and only those are fetched, which is
 * cheaper than copying out and scanning the whole `[1, 4 + nc, N]` output; the detections are
 * the same as {@link decodeYolo}'s. Models that cannot be extended are decoded in JavaScript.
 *
 * @example
 * ```ts
 * import YoloDetector from "@stream-infer/stream-infer/plugins/yolo";
 *
 * const yolo = new YoloDetector();
 * await yolo.init({ model: "./yolov8n.onnx", classes: ["person"] });
 * console.log(yolo.names.length, yolo.inputSize); // 80 [640, 640]
 * await yolo.dispose();
 * ```
 */
export default class YoloDetector extends BaseAlgo<YoloOptions, Detection[]> {
  #session: ort.InferenceSession | null = null;
  /** Whether the session has the compact outputs of withCompactOutputs. */
  #compact = false;
  #inputName = "images";
  #outputName = "output0";
  #size: [number, number] = [640, 640];
  #names: string[] = [...COCO_NAMES];
  /**
   * The decoding settings, without the letterbox geometry (which each run adds). Each `init`
   * updates them as it checks the options, and keeps `maxDetections` when not given.
   */
  #decoding: Decoding = decoding({});
  /** The input tensor; its data is the buffer `letterbox` reuses. */
  #tensor: ort.Tensor | null = null;
  #Tensor: Ort["Tensor"] | null = null;

  /** Class names by id (from the model metadata, else COCO). Valid after `init`. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** The network input size `[height, width]`. Valid after `init`. */
  get inputSize(): [number, number] {
    return [this.#size[0], this.#size[1]];
  }

  /**
   * Loads the model and checks the options.
   *
   * @throws {PluginError} on a missing or unreadable model, bad options or an unsupported model.
   */
  override async init(options: YoloOptions, context?: AlgoContext): Promise<void> {
    const opts = (options ?? {}) as Partial<YoloOptions>;
    const model = opts.model;
    if (model === undefined || model === null || model === "") {
      throw new PluginError(
        "YoloDetector: option 'model' is required (path to a YOLOv8/YOLO11 .onnx file)",
      );
    }
    if (typeof model !== "string" && !(model instanceof Uint8Array)) {
      throw new PluginError("YoloDetector: option 'model' must be a path or the model's bytes");
    }
    const d = this.#decoding;
    d.confidence = checkUnit("confidence", opts.confidence, 0.25);
    d.iou = checkUnit("iou", opts.iou, 0.45);
    if (opts.maxDetections !== undefined) {
      if (!Number.isInteger(opts.maxDetections) || opts.maxDetections < 1) {
        throw new PluginError("YoloDetector: option 'maxDetections' must be an integer >= 1");
      }
      d.maxDetections = opts.maxDetections;
    }
    if (
      opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)
    ) {
      throw new PluginError("YoloDetector: option 'threads' must be an integer >= 1");
    }
    if (opts.spinning !== undefined && ![true, false, "run"].includes(opts.spinning)) {
      throw new PluginError("YoloDetector: option 'spinning' must be true, false or \"run\"");
    }
    if (opts.classes !== undefined && !Array.isArray(opts.classes)) {
      throw new PluginError("YoloDetector: option 'classes' must be a list of ids or names");
    }

    // Load the model.
    let path = "";
    let bytes: Uint8Array | null = null;
    if (typeof model === "string") {
      path = modelPath(model);
      try {
        const st = await Deno.stat(path);
        if (!st.isFile) throw new PluginError(`YoloDetector: model is not a file: ${path}`);
      } catch (e) {
        if (e instanceof PluginError) throw e;
        if (e instanceof Deno.errors.NotFound) {
          throw new PluginError(`YoloDetector: model not found: ${path}`);
        }
        throw new PluginError(`YoloDetector: cannot read model ${path}: ${e}`, { cause: e });
      }
      bytes = await Deno.readFile(path).catch(() => null);
    } else bytes = model;
    const { InferenceSession, Tensor } = await loadOrt();
    this.#Tensor = Tensor;
    const sessionOptions = yoloSessionOptions(opts, context?.instances ?? 1);
    // First try the model extended with compact outputs (see withCompactOutputs); if that is
    // not possible, load it as it is (and report onnxruntime's own error if that fails too).
    const extended = bytes ? withCompactOutputs(bytes) : null;
    let session: ort.InferenceSession | null = null;
    if (extended) {
      session = await InferenceSession.create(extended, sessionOptions).catch(() => null);
    }
    let compact = session !== null;
    if (!session) {
      try {
        session = typeof model === "string"
          ? await InferenceSession.create(path, sessionOptions)
          : await InferenceSession.create(model, sessionOptions);
      } catch (e) {
        const what = path || "model bytes";
        const msg = e instanceof Error ? e.message : String(e);
        throw new PluginError(`YoloDetector: cannot load ${what}: ${msg}`, { cause: e });
      }
    }

    let meta: Record<string, string> = {};
    try {
      meta = bytes ? readOnnxMetadata(bytes) : {};
    } catch {
      // Not fatal: fall back to the COCO names.
    }
    try {
      this.#configure(session);
      const output = session.outputMetadata[0];
      compact &&= output.isTensor && output.shape.length === 3 &&
        COMPACT_OUTPUTS.every((name) => session.outputNames.includes(name));
      this.#applyMetadata(session, opts, meta);
    } catch (e) {
      await session.release();
      throw e;
    }
    if (this.#session) await this.#session.release();
    this.#session = session;
    this.#compact = compact;
  }

  /** Input / output names and types. */
  #configure(session: ort.InferenceSession): void {
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    if (!input || !output) {
      throw new PluginError("YoloDetector: the model needs one image input and one output");
    }
    if (input.isTensor && input.type !== "float32") {
      throw new PluginError(
        `YoloDetector: input '${input.name}' is ${input.type}; only float32 models are supported`,
      );
    }
    if (output.isTensor && output.type !== "float32") {
      throw new PluginError(
        `YoloDetector: output '${output.name}' is ${output.type}; only float32 models are supported`,
      );
    }
    if (input.isTensor && input.shape.length !== 4) {
      throw new PluginError(
        `YoloDetector: input '${input.name}' has shape [${input.shape}]; expected [1, 3, H, W]`,
      );
    }
    this.#inputName = input.name;
    this.#outputName = output.name;
  }

  /** Input size, names and the class filter (the decoding's `names` and `allowed`). */
  #applyMetadata(
    session: ort.InferenceSession,
    opts: Partial<YoloOptions>,
    meta: Record<string, string>,
  ): void {
    const input = session.inputMetadata[0];
    const shape = input.isTensor ? input.shape : [];
    const h = shape[2], w = shape[3];
    const fixed = typeof h === "number" && typeof w === "number" && h > 0 && w > 0;
    let size: [number, number];
    if (opts.imgsz !== undefined) {
      try {
        size = sizeOf(opts.imgsz);
      } catch (e) {
        throw new PluginError(`YoloDetector: option ${(e as Error).message}`);
      }
      if (fixed && (size[0] !== h || size[1] !== w)) {
        throw new PluginError(
          `YoloDetector: option 'imgsz' is [${size}] but the model's input is fixed at [${h}, ${w}]`,
        );
      }
      if (!fixed && (size[0] % 32 !== 0 || size[1] % 32 !== 0)) {
        throw new PluginError(
          `YoloDetector: option 'imgsz' must be a multiple of 32 (got [${size}])`,
        );
      }
    } else if (fixed) size = [h, w];
    else size = metaImgsz(meta.imgsz) ?? [640, 640];
    this.#size = size;

    let names: string[] | null = null;
    if (meta.names) {
      try {
        names = parseNames(meta.names);
      } catch {
        names = null;
      }
    }
    this.#names = names && names.length ? names : [...COCO_NAMES];

    const d = this.#decoding;
    d.names = this.#names;
    d.allowed = null;
    if (opts.classes && opts.classes.length) {
      try {
        d.allowed = resolveClasses(opts.classes, this.#names);
      } catch (e) {
        throw new PluginError(`YoloDetector: option ${(e as Error).message}`);
      }
    }
  }

  /**
   * Detects objects on the newest of `frames`.
   *
   * @throws {InputError} when no frame is given or a frame's data is too short.
   */
  async run(frames: Frame[]): Promise<Detection[]> {
    const session = this.#session;
    const Tensor = this.#Tensor;
    if (!session || !Tensor) throw new PluginError("YoloDetector: run() called before init()");
    const frame = frames[frames.length - 1];
    if (!frame) throw new InputError("YoloDetector: run() needs at least one frame");
    const [H, W] = this.#size;
    let tensor = this.#tensor;
    const lb = letterbox(frame, this.#size, tensor?.data as Float32Array | undefined);
    if (!tensor || lb.tensor !== tensor.data) {
      tensor = this.#tensor = new Tensor("float32", lb.tensor, [1, 3, H, W]);
    }
    const feeds = { [this.#inputName]: tensor };
    const d: Decoding = {
      ...this.#decoding,
      scale: lb.scale,
      padX: lb.padX,
      padY: lb.padY,
      frameWidth: frame.width,
      frameHeight: frame.height,
    };
    if (this.#compact) {
      // Only the compact outputs: onnxruntime hands over ~20 bytes per anchor, not 4 * (4 + nc).
      const result = await session.run(feeds, COMPACT_OUTPUTS);
      const boxes = result[COMPACT_BOXES]?.data;
      const scores = result[COMPACT_SCORES]?.data;
      const classes = result[COMPACT_CLASSES]?.data;
      if (
        !(boxes instanceof Float32Array) || !(scores instanceof Float32Array) ||
        !(classes instanceof Int32Array)
      ) {
        throw new PluginError("YoloDetector: the model's compact outputs have unexpected types");
      }
      return decodeCompact(boxes, scores, classes, d);
    }
    const result = await session.run(feeds);
    const out = result[this.#outputName];
    if (!out || out.type !== "float32" || !(out.data instanceof Float32Array)) {
      throw new PluginError(`YoloDetector: output '${this.#outputName}' is not a float32 tensor`);
    }
    const [nc, n] = outputShape(out.data, out.dims);
    return decodeFull(out.data, nc, n, d);
  }

  /** Releases the onnxruntime session. Safe to call twice. */
  override async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    this.#tensor = null;
    if (session) await session.release();
  }
}
