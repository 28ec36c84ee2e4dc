/**
 * {@link RtmpServer}: a real RTMP server for the restream tests, Debian's nginx with the RTMP
 * module (libnginx-mod-rtmp) on a free 127.0.0.1 port, from a temporary `nginx.conf` whose
 * pid file, logs and temp paths all live in a temp dir. `stop()` kills it and awaits it;
 * `start()` again brings it back on the same port.
 *
 * @module
 */
import { freeTcpPort, isListening, waitUntil } from "./live_helpers.ts";

/** The RTMP module of Debian's libnginx-mod-rtmp. */
export const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/** An nginx-rtmp server on loopback (`rtmp://127.0.0.1:PORT/live/<name>`). */
export class RtmpServer {
  /** Its port. */
  readonly port: number;
  /** Its temp dir (config, pid, logs). */
  readonly dir: string;
  #child?: Deno.ChildProcess;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** Whether nginx and its RTMP module are installed. */
  static available(): boolean {
    try {
      return Deno.statSync(RTMP_MODULE).isFile && Deno.statSync("/usr/sbin/nginx").isFile;
    } catch {
      return false;
    }
  }

  /** Writes the config into a temp dir under `parent` and starts nginx. */
  static async start(parent: string): Promise<RtmpServer> {
    const dir = await Deno.makeTempDir({ dir: parent, prefix: "nginx-" });
    const port = freeTcpPort();
    for (const sub of ["client", "proxy", "fastcgi", "uwsgi", "scgi"]) {
      await Deno.mkdir(`${dir}/${sub}`);
    }
    await Deno.writeTextFile(
      `${dir}/nginx.conf`,
      `load_module ${RTMP_MODULE};
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live { live on; }
  }
}
`,
    );
    const server = new RtmpServer(dir, port);
    await server.start();
    return server;
  }

  /** `rtmp://127.0.0.1:PORT/live/<name>`. */
  url(name: string): string {
    return `rtmp://127.0.0.1:${this.port}/live/${name}`;
  }

  /** Starts nginx (again) and waits until the port accepts connections. */
  async start(): Promise<void> {
    this.#child = new Deno.Command("/usr/sbin/nginx", {
      args: ["-p", this.dir, "-e", `${this.dir}/error.log`, "-c", `${this.dir}/nginx.conf`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const child = this.#child;
    let exited = false;
    child.status.then(() => exited = true);
    await waitUntil(10_000, `nginx-rtmp listening on ${this.port}`, async () => {
      if (exited) {
        const log = await Deno.readTextFile(`${this.dir}/error.log`).catch(() => "");
        throw new Error(`nginx exited: ${log.trim().split("\n").pop()}`);
      }
      return await isListening(this.port);
    });
  }

  /** Kills nginx and waits for it (idempotent). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
  }
}
