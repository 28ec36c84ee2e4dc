/**
 * Helpers for the realtime, live-source and signal tests: free loopback ports, ffmpeg servers
 * that stream a generated picture over HTTP, UDP or RTMP, bounded waits, and a look at the
 * process table for leftover ffmpeg.
 *
 * Every server is a real ffmpeg child: {@link FfmpegServer.stop} kills it, awaits its status
 * and drains its stderr, so Deno.test's sanitizers stay happy.
 *
 * @module
 */
import dgram from "node:dgram";

/** A TCP port on 127.0.0.1 that was free a moment ago (bound on port 0, then closed). */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A UDP port on 127.0.0.1 that was free a moment ago (bound on port 0, then closed). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** The kinds of live server the tests run. */
export type LiveKind = "http" | "udp" | "rtmp";

/** A live source served by an ffmpeg child on loopback. */
export interface LiveEndpoint {
  kind: LiveKind;
  port: number;
  /** The URL our player reads. */
  url: string;
  /** The URL the serving ffmpeg writes to. */
  serveUrl: string;
  /** Output options of the serving ffmpeg (codec and container). */
  outputArgs: string[];
}

/**
 * A live endpoint on a free loopback port. HTTP and RTMP use ffmpeg's single-client server
 * mode (`-listen 1`: the *sender* listens and our reader connects); UDP sends MPEG-TS
 * datagrams to the port our reader binds.
 */
export async function liveEndpoint(kind: LiveKind): Promise<LiveEndpoint> {
  switch (kind) {
    case "http": {
      const port = freeTcpPort();
      const url = `http://127.0.0.1:${port}/live.ts`;
      return {
        kind,
        port,
        url,
        serveUrl: url,
        outputArgs: ["-c:v", "mpeg2video", "-g", "12", "-f", "mpegts", "-listen", "1"],
      };
    }
    case "udp": {
      const port = await freeUdpPort();
      return {
        kind,
        port,
        url: `udp://127.0.0.1:${port}`,
        serveUrl: `udp://127.0.0.1:${port}?pkt_size=1316`,
        outputArgs: ["-c:v", "mpeg2video", "-g", "12", "-f", "mpegts"],
      };
    }
    case "rtmp": {
      const port = freeTcpPort();
      const url = `rtmp://127.0.0.1:${port}/live/test`;
      // flv cannot carry mpeg2video; flv1 (Sorenson H.263) is built in and cheap
      return {
        kind,
        port,
        url,
        serveUrl: url,
        outputArgs: ["-c:v", "flv1", "-g", "12", "-f", "flv", "-listen", "1"],
      };
    }
  }
}

/**
 * An ffmpeg child that streams `testsrc2` (160x120, 25 fps, paced with `-re`) to a live
 * endpoint until stopped.
 */
export class FfmpegServer {
  readonly endpoint: LiveEndpoint;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  #stopped: Promise<Deno.CommandStatus> | undefined;

  private constructor(endpoint: LiveEndpoint, child: Deno.ChildProcess) {
    this.endpoint = endpoint;
    this.#child = child;
    this.#stderr = drain(child.stderr);
  }

  /** Starts serving (its command line holds the endpoint's URL, for the process check). */
  static start(endpoint: LiveEndpoint): FfmpegServer {
    const child = new Deno.Command("ffmpeg", {
      args: [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25",
        ...endpoint.outputArgs,
        endpoint.serveUrl,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new FfmpegServer(endpoint, child);
  }

  /** Kills the server (if still running), awaits its exit and its stderr. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already exited */ }
      this.#stopped = this.#child.status;
    }
    await this.#stopped;
    await this.#stderr;
  }

  /** The last lines the server wrote on stderr (after {@link stop}). */
  async log(): Promise<string> {
    return await this.#stderr;
  }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  return tail;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Awaits `promise`, failing with a clear message if it has not settled within `ms`
 * (a bounded wait, not a performance threshold). The timer is always cleared.
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 50 ms until it holds; fails after `ms`. */
export async function waitUntil(
  ms: number,
  what: string,
  condition: () => boolean | Promise<boolean>,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > end) throw new Error(`timed out after ${ms / 1000} s: ${what}`);
    await delay(50);
  }
}

/**
 * ffmpeg processes in the process table (`ps -eo pid,ppid,args`) whose command line contains
 * `text` (a temp dir name or a port, say).
 */
export async function ffmpegProcesses(text: string): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "pid,ppid,args"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").slice(1).filter((line) => {
    const args = line.trim().split(/\s+/).slice(2).join(" ");
    return /(^|\/)ffmpeg(\s|$)/.test(args) && args.includes(text);
  });
}

/**
 * Waits (bounded) until no ffmpeg mentioning `text` is left, then fails listing any that
 * remain. A killed child may linger for a moment before it is reaped by its parent.
 */
export async function assertNoFfmpegLeft(text: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  let left = await ffmpegProcesses(text);
  while (left.length && performance.now() < end) {
    await delay(100);
    left = await ffmpegProcesses(text);
  }
  if (left.length) throw new Error(`leftover ffmpeg processes:\n${left.join("\n")}`);
}

/** The JSONL record keys of docs/contract.md §5.1, for results and for errors. */
export const RESULT_KEYS: readonly string[] = [
  "source",
  "algo",
  "frame",
  "time",
  "position",
  "result",
];
export const ERROR_KEYS: readonly string[] = [
  "source",
  "algo",
  "frame",
  "time",
  "position",
  "error",
];

/** Parses a JSONL file, checking that every line is an object with the §5 keys. */
export async function readRecords(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error(`${path} does not end with a newline`);
  return lines.slice(0, -1).map((line, i) => {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}:${i + 1} is not JSON (${(e as Error).message}): ${line}`);
    }
    const keys = Object.keys(record).join(",");
    if (keys !== RESULT_KEYS.join(",") && keys !== ERROR_KEYS.join(",")) {
      throw new Error(`${path}:${i + 1} has keys ${keys}, not the §5 record keys`);
    }
    if (typeof record.algo !== "string") throw new Error(`${path}:${i + 1}: algo not a string`);
    for (const key of ["frame", "time", "position"]) {
      if (typeof record[key] !== "number") throw new Error(`${path}:${i + 1}: ${key} not a number`);
    }
    return record;
  });
}

/** A loopback TCP server that accepts connections and never answers (a hung peer). */
export interface SilentServer {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Stops listening and closes every connection it accepted. */
  close(): Promise<void>;
}

/** Starts a {@link SilentServer}. */
export function silentServer(): SilentServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by the peer */ }
      }
    },
  };
}

/** Whether something listens on TCP `port` (read from /proc/net/tcp; no connection made, so
 * a single-client `-listen 1` server is not used up). */
export async function isListening(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "0A" && local?.endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}

/** Waits (bounded) until a server listens on TCP `port`. UDP needs no wait. */
export async function waitListening(endpoint: LiveEndpoint, ms = 10_000): Promise<void> {
  if (endpoint.kind === "udp") return;
  await waitUntil(
    ms,
    `a server listening on port ${endpoint.port}`,
    () => isListening(endpoint.port),
  );
}
