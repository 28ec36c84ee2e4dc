/**
 * Sandboxing of plugin workers: whether per-worker permissions are available in this process
 * ({@link isWorkerSandboxAvailable}), and turning a plugin's {@link PluginPermissions} into the
 * permissions a Deno worker is created with ({@link workerPermissions},
 * {@link missingPermissions}).
 *
 * Per-worker permissions need Deno's `--unstable-worker-options` flag (or
 * `"unstable": ["worker-options"]` in deno.json). Without it, creating a worker with
 * permissions would end the whole process (exit code 70, not catchable), so callers check
 * first.
 *
 * @module
 */
import type { PluginPermissions } from "../algo/permissions.ts";

/**
 * The Deno flag that enables per-worker permissions.
 *
 * @example
 * ```ts
 * import { SANDBOX_FLAG } from "./sandbox.ts";
 * console.warn(`sandboxing is off: run with ${SANDBOX_FLAG}`);
 * ```
 */
export const SANDBOX_FLAG = "--unstable-worker-options";

let sandboxAvailable: Promise<boolean> | undefined;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function readIfAllowed(path: string): string | undefined {
  if (!granted({ name: "read", path })) return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function dirOf(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function configEnables(text: string | undefined): boolean {
  return !!text && /"unstable"\s*:\s*\[[^\]]*"worker-options"/.test(text);
}

/** Whether the deno.json Deno uses for this process (as far as we can tell) enables it. */
function configFlag(runtimeArgs: string[] | undefined): boolean {
  let explicit: string | undefined;
  if (runtimeArgs) {
    if (runtimeArgs.includes("--no-config")) return false;
    for (let i = 0; i < runtimeArgs.length; i++) {
      const a = runtimeArgs[i];
      if (a === "--config" || a === "-c") explicit = runtimeArgs[i + 1];
      else if (a.startsWith("--config=")) explicit = a.slice(9);
      else if (/^-c./.test(a)) explicit = a.slice(2);
    }
  }
  if (explicit !== undefined) {
    const path = explicit.startsWith("/") ? explicit : `${Deno.cwd()}/${explicit}`;
    return configEnables(readIfAllowed(path));
  }
  // Where Deno 2 discovers the config: `deno run` / `deno serve` from the main module's
  // directory, `deno test` / `deno bench` from the working directory.
  const sub = runtimeArgs?.[1];
  let start: string | undefined;
  if (sub === "test" || sub === "bench") start = Deno.cwd();
  else if (Deno.mainModule.startsWith("file:")) start = dirOf(new URL(Deno.mainModule).pathname);
  if (!start) return false;
  let nearest = true;
  for (let dir = start;; dir = dirOf(dir)) {
    const text = readIfAllowed(`${dir}/deno.json`) ?? readIfAllowed(`${dir}/deno.jsonc`);
    if (text !== undefined) {
      // The nearest config counts; an outer one only as the root of a workspace.
      if ((nearest || /"workspace"\s*:/.test(text)) && configEnables(text)) return true;
      nearest = false;
    }
    if (dir === "/") return false;
  }
}

/** This process's runtime arguments (`deno run --flags... script`), without `Deno.args`. */
async function runtimeArgs(): Promise<string[] | undefined> {
  // Deno 2.9 only lets an --allow-all process read /proc/self/cmdline.
  const cmdline = readIfAllowed("/proc/self/cmdline");
  if (cmdline !== undefined) {
    const all = cmdline.split("\0");
    if (all.at(-1) === "") all.pop();
    return all.slice(0, Math.max(1, all.length - Deno.args.length));
  }
  // Otherwise ask ps, if this process may run it.
  if (!granted({ name: "run", command: "ps" })) return undefined;
  try {
    const out = await new Deno.Command("ps", {
      args: ["-ww", "-o", "args=", "-p", String(Deno.pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    let line = new TextDecoder().decode(out.stdout).trim();
    const own = Deno.args.join(" ");
    if (own && line.endsWith(own)) line = line.slice(0, -own.length);
    return line.split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Whether per-worker permissions (sandboxing) are available in this process, i.e. whether
 * Deno runs with `--unstable-worker-options` or a deno.json with
 * `"unstable": ["worker-options"]`.
 *
 * Deno offers no API for this, and creating a worker with permissions when the flag is off
 * ends the process (exit code 70, not catchable). So this looks at the command line (from
 * `/proc/self/cmdline` with `--allow-all`, else from `ps` when the process may run it) and at
 * the config file, without prompting. Where it cannot tell (no permission to look, a compiled
 * binary) it answers `false`. The answer is cached.
 *
 * @example
 * ```ts
 * import { isWorkerSandboxAvailable } from "@stream-infer/stream-infer";
 * if (!(await isWorkerSandboxAvailable())) {
 *   console.warn("plugins run unsandboxed: add --unstable-worker-options");
 * }
 * ```
 */
export function isWorkerSandboxAvailable(): Promise<boolean> {
  sandboxAvailable ??= runtimeArgs().then((args) =>
    !!args?.includes(SANDBOX_FLAG) || configFlag(args)
  );
  return sandboxAvailable;
}

/**
 * A list grant of a worker's permissions: the allowed values, or `false` for none.
 *
 * @example
 * ```ts
 * import type { ListPermission } from "./sandbox.ts";
 * const env: ListPermission = ["ORT_LOG_LEVEL"];
 * ```
 */
export type ListPermission = string[] | false;

/**
 * The permissions a sandboxed plugin worker is created with (`deno.permissions` of the
 * `Worker` options). Never `run`.
 *
 * @example
 * ```ts
 * import type { WorkerPermissions } from "./sandbox.ts";
 * const none: WorkerPermissions = {
 *   read: false, write: false, net: false, env: false, ffi: false, sys: false, run: false,
 *   import: false,
 * };
 * ```
 */
export interface WorkerPermissions {
  /** Paths the worker may read. */
  read: ListPermission;
  /** Paths the worker may write. */
  write: ListPermission;
  /** Hosts the worker may connect to. */
  net: ListPermission;
  /** Environment variables the worker may read. */
  env: ListPermission;
  /** Native libraries: `true` for any, or a list of paths, or `false`. */
  ffi: boolean | string[];
  /** System information. */
  sys: boolean;
  /** Subprocesses: never. */
  run: false;
  /** Hosts the worker may import modules from at run time. */
  import: ListPermission;
}

function list(values: string[] | undefined): ListPermission {
  return values && values.length ? [...values] : false;
}

/**
 * The worker permissions for a plugin's grants plus more paths it may read (model files).
 * Keys left out of `permissions` are denied.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./sandbox.ts";
 * const p = workerPermissions({ ffi: true, env: ["ORT_LOG_LEVEL"] }, ["./models/yolov8n.onnx"]);
 * console.log(p.read, p.net); // ["./models/yolov8n.onnx"] false
 * ```
 */
export function workerPermissions(
  permissions: PluginPermissions,
  extraRead: string[],
): WorkerPermissions {
  const p = permissions;
  return {
    read: list([...(p.read ?? []), ...extraRead]),
    write: list(p.write),
    net: list(p.net),
    env: list(p.env),
    ffi: p.ffi === true ? true : list(p.ffi || undefined),
    sys: p.sys === true,
    run: false,
    import: list(p.import),
  };
}

/**
 * The permissions this process lacks among those the worker would get (a worker cannot be
 * granted more than its parent has), as readable labels such as `net example.com:443`.
 *
 * @example
 * ```ts
 * import { missingPermissions, workerPermissions } from "./sandbox.ts";
 * const missing = missingPermissions(workerPermissions({ net: ["example.com:443"] }, []));
 * if (missing.length) console.error(`cannot grant ${missing.join(", ")}`);
 * ```
 */
export function missingPermissions(p: WorkerPermissions): string[] {
  const missing: string[] = [];
  const check = (descriptor: Deno.PermissionDescriptor, label: string) => {
    if (!granted(descriptor)) missing.push(label);
  };
  for (const path of p.read || []) check({ name: "read", path }, `read ${path}`);
  for (const path of p.write || []) check({ name: "write", path }, `write ${path}`);
  for (const host of p.net || []) check({ name: "net", host }, `net ${host}`);
  for (const variable of p.env || []) check({ name: "env", variable }, `env ${variable}`);
  if (p.ffi === true) check({ name: "ffi" }, "ffi");
  for (const path of Array.isArray(p.ffi) ? p.ffi : []) check({ name: "ffi", path }, `ffi ${path}`);
  if (p.sys) check({ name: "sys" }, "sys");
  for (const host of p.import || []) check({ name: "import", host }, `import ${host}`);
  return missing;
}
