/**
 * {@link devState}: the JSON the dev UI's page polls (`GET /api/state`): the run's status and
 * metrics, each source's state and progress, each algorithm's panel, the lines and zones, the
 * config's defaults for the form, and the newest messages.
 *
 * @module
 */
import type { AnalyticsOptions } from "../analytics/config.ts";
import { errorMessage } from "../errors.ts";
import type { AlgoPanel, ResultsBoard } from "./board.ts";
import type { FrameHub } from "./frames.ts";
import type { DevSession } from "./session.ts";

/**
 * One source as the page shows it.
 *
 * @example
 * ```ts
 * import type { SourceView } from "./state.ts";
 * const s: SourceView = {
 *   id: "main", url: "/media/clip.mp4", state: "playing", fps: 25, frames: 50, dropped: 0,
 *   reconnects: 0, position: 2, live: false, duration: 10, watchers: 1,
 * };
 * ```
 */
export interface SourceView {
  /** Its id. */
  id: string;
  /** Its path or URL. */
  url: string;
  /** `waiting`, `playing`, `ended`, `lost`, `failed` or `removed`. */
  state: string;
  /** Why it failed, if it did. */
  error?: string;
  /** Frames read per second. */
  fps: number;
  /** Frames read. */
  frames: number;
  /** Frames dropped by the realtime player. */
  dropped: number;
  /** Reconnections. */
  reconnects: number;
  /** Seconds into the source. */
  position: number;
  /** Its length, for a file. */
  duration?: number;
  /** Whether it is live. */
  live: boolean;
  /** Played frame size. */
  width?: number;
  /** Played frame height. */
  height?: number;
  /** Tabs watching it. */
  watchers: number;
}

/**
 * What `GET /api/state` answers.
 *
 * @example
 * ```ts
 * import type { DevState } from "./state.ts";
 * function title(s: DevState): string {
 *   return s.running ? `running ${s.metrics.seconds.toFixed(0)} s` : "stopped";
 * }
 * ```
 */
export interface DevState {
  /** Whether a run plays. */
  running: boolean;
  /** Whether a run is being built. */
  starting: boolean;
  /** The run's mode. */
  mode?: string;
  /** Why the last start or run failed. */
  error?: string;
  /** Run metrics: fps (frames read per second, all sources), lag p50 (ms, worst algo), run
   * time (s), frames dropped, reconnects. */
  metrics: { fps: number; lagMs?: number; seconds: number; dropped: number; reconnects: number };
  /** The sources. */
  sources: SourceView[];
  /** Each algorithm's panel, with its run figures. */
  algos: Record<string, AlgoPanel & { errors: number; runMs?: number; lagMs?: number }>;
  /** Lines and zones drawn: saved in the config, and unsaved ones (`saved: false`). */
  shapes: (AnalyticsOptions & { saved: boolean })[];
  /** The config's values for the form. */
  config: {
    file?: string;
    sources: { id: string; url: string }[];
    algos: { index: number; label: string }[];
    mode?: string;
    fps?: number;
    position?: number;
    width?: number;
    height?: number;
    format?: string;
    tracked: string[];
    error?: string;
  };
  /** The newest warnings and errors, oldest first. */
  messages: string[];
}

/**
 * The page's state now.
 *
 * @example
 * ```ts ignore
 * import { devState } from "./state.ts";
 * console.log((await devState(session, board, hub)).running);
 * ```
 */
export async function devState(
  session: DevSession,
  board: ResultsBoard,
  hub: FrameHub,
): Promise<DevState> {
  const status = session.status();
  const m = session.metrics();
  const progress = board.progress();
  const sources: SourceView[] = Object.entries(m.sources).map(([id, s]) => {
    const p = progress[id];
    return {
      id,
      url: s.url,
      state: s.state,
      ...(s.error !== undefined ? { error: s.error } : {}),
      fps: round(s.player.fps),
      frames: s.player.framesRead,
      dropped: s.player.framesDropped,
      reconnects: s.player.reconnects,
      position: round(p?.position ?? 0),
      ...(p?.duration !== undefined ? { duration: round(p.duration) } : {}),
      live: p?.live ?? false,
      ...(p?.width ? { width: p.width, height: p.height } : {}),
      watchers: hub.watchers(id),
    };
  });
  const algos: DevState["algos"] = {};
  for (const [name, panel] of Object.entries(board.panels())) {
    const a = m.algos[name];
    algos[name] = {
      ...panel,
      errors: a?.errors ?? 0,
      ...(typeof a?.runMs.p50 === "number" ? { runMs: round(a.runMs.p50) } : {}),
      ...(typeof a?.lagMs.p50 === "number" ? { lagMs: round(a.lagMs.p50) } : {}),
    };
  }
  const lags = Object.values(m.algos).map((a) => a.lagMs.p50)
    .filter((v): v is number => typeof v === "number");
  const config: DevState["config"] = { sources: [], algos: [], tracked: [] };
  let saved: AnalyticsOptions[] = [];
  if (session.file !== undefined) {
    config.file = session.file;
    try {
      const c = (await session.config())!;
      config.sources = c.sources.map(({ id, url }) => ({ id, url }));
      config.algos = c.algos.map((a, index) => ({ index, label: a.name ?? a.plugin }));
      config.tracked = c.algos.filter((a) => a.track).map((a) => a.name ?? a.plugin);
      config.mode = c.mode;
      if (c.fps !== undefined) config.fps = c.fps;
      config.position = c.position;
      if (c.producer.width !== undefined) config.width = c.producer.width;
      if (c.producer.height !== undefined) config.height = c.producer.height;
      if (c.producer.format !== undefined) config.format = c.producer.format;
      saved = c.analytics ?? [];
    } catch (e) {
      config.error = errorMessage(e);
    }
  }
  const unsaved = new Set(session.preview.map((s) => s.name));
  return {
    running: status.running,
    starting: status.starting,
    ...(status.mode ? { mode: status.mode } : {}),
    ...(status.error !== undefined ? { error: status.error } : {}),
    metrics: {
      fps: round(m.player.fps),
      ...(lags.length ? { lagMs: round(Math.max(...lags)) } : {}),
      seconds: round(status.seconds),
      dropped: m.player.framesDropped,
      reconnects: m.player.reconnects,
    },
    sources,
    algos,
    shapes: [
      ...saved.filter((s) => !unsaved.has(s.name)).map((s) => ({ ...s, saved: true })),
      ...session.preview.map((s) => ({ ...s, saved: false })),
    ],
    config,
    messages: board.messages(),
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
