/**
 * {@link CliRun}: the CLI as a subprocess whose output is drained as it comes, for the tests
 * that signal, query or stop a run while it goes.
 */
import { cliArgs, ROOT } from "./helpers.ts";
import { within } from "./live_helpers.ts";

/** How a {@link CliRun} is started. */
export interface CliRunOptions {
  /** `run` (default): `deno run ... src/cli/main.ts`; `task`: `deno task cli`, as the README. */
  via?: "run" | "task";
  /** Lead a new process group (`setsid`), like a shell job in a terminal. */
  newSession?: boolean;
}

/** A CLI subprocess (cwd: the project root, no colours) with its stdout and stderr kept. */
export class CliRun {
  /** The process (`setsid` or deno). */
  readonly child: Deno.ChildProcess;
  /** Its standard output so far. */
  stdout = "";
  /** Its standard error so far. */
  stderr = "";
  /** Its exit status, once it has exited. */
  exited?: Deno.CommandStatus;
  readonly #drained: Promise<void>;

  /** Starts `stream-infer ...args`. */
  constructor(args: string[], options: CliRunOptions = {}) {
    const deno = options.via === "task"
      ? ["task", "--quiet", "--config", `${ROOT}/deno.json`, "cli", ...args]
      : cliArgs(args);
    const [command, commandArgs] = options.newSession
      ? ["setsid", [Deno.execPath(), ...deno]]
      : [Deno.execPath(), deno];
    this.child = new Deno.Command(command, {
      args: commandArgs,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.child.status.then((s) => this.exited = s);
    const drain = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
    };
    this.#drained = Promise.all([
      drain(this.child.stdout, (t) => this.stdout += t),
      drain(this.child.stderr, (t) => this.stderr += t),
    ]).then(() => {});
  }

  /** Waits (bounded) for the exit and the end of its output. */
  async finish(ms: number, what: string): Promise<Deno.CommandStatus> {
    const status = await within(ms, what, this.child.status);
    await this.#drained;
    return status;
  }

  /** Kills it for good (cleanup after a failed assertion) and waits for it. Idempotent. */
  async kill(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* exited */ }
    await this.child.status;
    await this.#drained;
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
