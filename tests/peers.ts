/**
 * Real peers for the sink tests and the sinks bench, each on a free 127.0.0.1 port: a mosquitto
 * broker and a redis-server. `stop()` kills the child and awaits it (sanitizers stay happy);
 * `restart()` stops and starts it again on the same port.
 *
 * @module
 */
import { freeTcpPort } from "./live_helpers.ts";

/** A peer process listening on 127.0.0.1. */
export class Peer {
  /** Its port. */
  readonly port: number;
  readonly #command: string;
  readonly #args: string[];
  #child?: Deno.ChildProcess;
  #stderr?: Promise<string>;

  private constructor(command: string, args: string[], port: number) {
    this.#command = command;
    this.#args = args;
    this.port = port;
  }

  /** A mosquitto broker (`-c` a temporary config: `listener PORT 127.0.0.1`, anonymous). */
  static async mosquitto(dir: string, extra: string[] = []): Promise<Peer> {
    const port = freeTcpPort();
    const config = `${dir}/mosquitto-${port}.conf`;
    await Deno.writeTextFile(
      config,
      [`listener ${port} 127.0.0.1`, "allow_anonymous true", ...extra, ""].join("\n"),
    );
    const peer = new Peer("/usr/sbin/mosquitto", ["-c", config], port);
    await peer.start();
    return peer;
  }

  /** A redis-server without persistence. */
  static async redis(): Promise<Peer> {
    const port = freeTcpPort();
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ];
    const peer = new Peer("redis-server", args, port);
    await peer.start();
    return peer;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** `mqtt://127.0.0.1:PORT` or `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `${this.#command.endsWith("mosquitto") ? "mqtt" : "redis"}://127.0.0.1:${this.port}`;
  }

  /** Starts the process and waits until its port accepts connections. */
  async start(): Promise<void> {
    this.#child = new Deno.Command(this.#command, {
      args: this.#args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        conn.close();
        return;
      } catch {
        const status = await Promise.race([
          this.#child.status,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
        ]);
        if (status || Date.now() > until) {
          const text = status ? await this.#stderr : "";
          await this.stop();
          throw new Error(`${this.#command} did not start on port ${this.port}: ${text}`);
        }
      }
    }
  }

  /** Kills the process (SIGTERM: mosquitto saves its persistence file) and waits for it. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    await child.status;
    await this.#stderr;
  }

  /** Stops, then starts again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
