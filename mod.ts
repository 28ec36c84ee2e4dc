/**
 * stream-infer: run your own image algorithms on video files, cameras and live streams.
 *
 * ffmpeg decodes any source into raw frames; each algorithm gets the frames it asks for
 * (`frameCount`, `frameStep`) as often as it asks (`interval`); results are collected per
 * algorithm and written to sinks.
 *
 * @example
 * ```ts
 * import { BaseAlgo, type Frame, FFmpegProducer, Inference, Player } from "@stream-infer/stream-infer";
 *
 * class Brightness extends BaseAlgo<unknown, number> {
 *   run([frame]: Frame[]): number {
 *     let sum = 0;
 *     for (let i = 0; i < frame.data.length; i++) sum += frame.data[i];
 *     return sum / frame.data.length;
 *   }
 * }
 *
 * const inference = new Inference();
 * await inference.loadAlgo(new Brightness(), { frameCount: 1, frameStep: 0, interval: 1 });
 * const player = new Player(new FFmpegProducer({ width: 640, height: 360 }), "video.mp4");
 * await inference.start(player, { fps: 10, mode: "offline" });
 * console.log(inference.dispatcher.getResults("Brightness"));
 * ```
 *
 * @module
 */
// The plugin author's contract
export { type AlgoContext, type AlgoLike, BaseAlgo } from "./src/algo/algo.ts";
export type { LoadAlgoOptions, ScheduleOptions } from "./src/algo/algo.ts";
export {
  channelsOf,
  cloneFrame,
  type Frame,
  frameBytes,
  type FrameFilter,
  isYuv,
  PIXEL_FORMATS,
  type PixelFormat,
  type YuvFormat,
} from "./src/frame.ts";
export {
  convertFrame,
  convertRows,
  frameAs,
  type FrameImage,
  type FrameSize,
  type PackedFormat,
  rowsRead,
} from "./src/frame_convert.ts";
export {
  ConfigError,
  DecodeError,
  errorMessage,
  FFmpegNotFoundError,
  InputError,
  PluginError,
  SourceError,
  StreamInferError,
} from "./src/errors.ts";

// Sources
export {
  DEFAULT_SCALE_FLAGS,
  FFmpegProducer,
  type FrameSource,
  type ProducerOptions,
  type ReadOptions,
} from "./src/source/producer.ts";
export type { YuvTransport } from "./src/source/swscale.ts";
export { type ParsedSource, parseSource, type SourceKind } from "./src/source/parse.ts";
export {
  Player,
  type PlayerEvent,
  type PlayerOptions,
  type PlayOptions,
  type ReconnectOptions,
} from "./src/source/player.ts";
export { probe, type ProbeOptions, type SourceInfo } from "./src/source/probe.ts";
export { locateFfmpeg, locateFfprobe, runTool, type ToolOutput } from "./src/source/ffmpeg.ts";
export {
  checkSourceId,
  parseProducerSpec,
  parseSourceSpec,
  type ProducerSpec,
  type SourceSpec,
} from "./src/source/spec.ts";

// Running
export {
  type AlgoInfo,
  type AlgoOptions,
  type AlgoStats,
  Inference,
  type InferenceOptions,
  type ProcessContext,
  type ProcessHook,
  type RunSummary,
  type SourcePlay,
  type SourceSummary,
  type StartOptions,
} from "./src/run/inference.ts";
export { Dispatcher, type DispatcherOptions } from "./src/run/dispatcher.ts";
export { type RecordStage, type SourceStage, type StageEmit } from "./src/run/stage.ts";

// Tracking and analytics
export { Tracker, type TrackInput } from "./src/track/tracker.ts";
export type { TrackOptions } from "./src/track/options.ts";
export type { DetectionLike } from "./src/track/detections.ts";
export { LineCounter, type LineCounts } from "./src/analytics/line.ts";
export { ZoneCounter, type ZoneCounts } from "./src/analytics/zone.ts";
export type {
  AnalyticsBase,
  AnalyticsOptions,
  CropInput,
  LineOptions,
  ZoneOptions,
} from "./src/analytics/config.ts";
export { CountsSummary } from "./src/run/analytics_summary.ts";
export type { Anchor } from "./src/analytics/geometry.ts";
export type { AnalyticsEvent, TrackedObject } from "./src/analytics/object.ts";
export { Schedule, type TickDecision } from "./src/schedule/schedule.ts";
export { DEFAULT_RING_BUDGET, ringBytes } from "./src/schedule/budget.ts";
export { FramePool } from "./src/frame_pool.ts";

// Workers and plugins
export {
  type AlgoRunner,
  InlineRunner,
  type InlineRunnerOptions,
  InlineTimeoutError,
} from "./src/algo/runner.ts";
export { ResultError } from "./src/worker/result.ts";
export {
  isWorkerSandboxAvailable,
  WorkerCrashError,
  WorkerDisabledError,
  type WorkerPluginSource,
  WorkerRunner,
  WorkerRunnerError,
  type WorkerRunnerEvent,
  type WorkerRunnerOptions,
  WorkerTimeoutError,
} from "./src/worker/runner.ts";
export type { PermissionDeclaration, PluginPermissions } from "./src/algo/permissions.ts";
export {
  type AlgoClass,
  type FetchedPlugin,
  fetchPlugin,
  type FetchPluginOptions,
  importPlugin,
  loadPlugin,
  type LoadPluginOptions,
} from "./src/plugin/load.ts";
export {
  computeIntegrity,
  hashPlugin,
  type IntegrityAlgorithm,
  type ReadPluginOptions,
} from "./src/plugin/integrity.ts";

// Observing a run
export type {
  AlgoEvent,
  AlgoEventType,
  AlgoRun,
  Mode,
  RunEnd,
  RunObserver,
  RunStart,
  RunTiming,
  SkippedRun,
  SourceEvent,
  SourceEventType,
} from "./src/observe/observer.ts";
export type {
  AlgoMetrics,
  Metrics,
  Percentiles,
  PlayerMetrics,
  SourceMetrics,
  SourceState,
} from "./src/observe/metrics.ts";

// Records and sinks
export { type AlgoRecord, recordLine } from "./src/record.ts";
export { JsonlSink, type JsonlSinkOptions } from "./src/sinks/jsonl.ts";
export { type Sink, type SinkEvents, type SinkStats } from "./src/sinks/sink.ts";
export { StdoutSink, type StdoutSinkOptions, summarizeRecord } from "./src/sinks/stdout.ts";
export { WebhookSink, type WebhookSinkOptions } from "./src/sinks/webhook.ts";
export { MqttSink, type MqttSinkOptions } from "./src/sinks/mqtt.ts";
export { RedisSink, type RedisSinkOptions } from "./src/sinks/redis.ts";
export { type DeliveryOptions, DeliveryQueue, PartialSendError } from "./src/sinks/queue.ts";
export { expandTemplate } from "./src/sinks/template.ts";
export { openSinks, type SinkEntry } from "./src/sinks/config.ts";

// Annotation: drawing on copies of frames
export {
  type AnnotateContext,
  type AnnotateHook,
  Annotator,
  type AnnotatorOptions,
  type DrawInfo,
  type Zone,
} from "./src/draw/annotator.ts";
export { Canvas, type Point, type PolygonStyle } from "./src/draw/canvas.ts";
export { colorFor, PALETTE } from "./src/draw/color.ts";
export { type Color, type Paint, yuvOf } from "./src/draw/pixels.ts";
export { drawText, type TextBox, textHeight, type TextStyle, textWidth } from "./src/draw/text.ts";
export { boxesOf, type DrawnBox } from "./src/draw/shapes.ts";
export { LatestRecords } from "./src/draw/latest.ts";

// Video out: recording, live restream, snapshots, event clips
export { Annotation, type AnnotationOptions, type FrameDrawer } from "./src/video/annotation.ts";
export { type EncoderOptions, type EncoderStats, FrameEncoder } from "./src/video/encoder.ts";
export { Recorder, type RecorderOptions } from "./src/video/recorder.ts";
export { Restream, type RestreamOptions } from "./src/video/restream.ts";
export {
  type EncoderPlan,
  SourceEncoders,
  type VideoOutputOptions,
} from "./src/video/source_encoders.ts";
export { encodeJpeg, type SnapshotOptions, Snapshots } from "./src/video/snapshot.ts";
export { type ClipMade, type ClipOptions, Clips } from "./src/video/clips.ts";
export {
  joinSegments,
  type Segment,
  SegmentRing,
  type SegmentRingOptions,
} from "./src/video/segments.ts";
export {
  DEFAULT_PRESET,
  fileArgs,
  forSource,
  hlsArgs,
  type HlsOptions,
  pushArgs,
  segmentArgs,
} from "./src/video/targets.ts";
export { detectionsOf, matches, type When } from "./src/video/when.ts";
export {
  attachVideo,
  type AttachVideoOptions,
  type ClipsConfig,
  type HlsConfig,
  type RecordConfig,
  type RestreamConfig,
  type SnapshotConfig,
  type VideoConfig,
  type VideoOutputs,
  videoSummary,
  type VideoTarget,
} from "./src/video/config.ts";

// Config
export { loadConfig, parseConfig } from "./src/config/load.ts";
export {
  validateConfigFile,
  type ValidateOptions,
  type Validation,
} from "./src/config/validate.ts";
export { BUILTIN_PLUGINS, builtinPermissions } from "./src/plugin/builtin.ts";
export type {
  AlgoConfig,
  ControlConfig,
  PipelineConfig,
  SinkConfig,
  SourceConfig,
} from "./src/config/types.ts";

// The control API and Prometheus metrics
export {
  type ControlOptions,
  type ControlServer,
  type ControlTarget,
  type ListenAddress,
  type MetricsExporter,
  parseListen,
  serveControl,
  type SourceEntry,
} from "./src/control/server.ts";
export { PrometheusExporter, type PrometheusExporterOptions } from "./src/observe/prometheus.ts";
export { ProgressBar } from "./src/observe/progress.ts";
export { LOG_LEVELS, type LogLevel, LogObserver, logs, parseLogLevel } from "./src/observe/log.ts";

// The dev web UI (stream-infer serve)
export { type DevServer, type DevServerOptions, serveDev } from "./src/dev/server.ts";
export type { AlgoPanel, OutputHook, SourceProgress } from "./src/dev/board.ts";
export { DevSession } from "./src/dev/session.ts";
export type { StartRequest } from "./src/dev/settings.ts";
export { FrameHub, type FrameHubOptions, type Watcher } from "./src/dev/frames.ts";
