/**
 * Growing the pipe a spawned ffmpeg writes its frames into, from Linux's default 64 KiB to
 * 1 MiB, so that a frame crosses it in fewer, larger reads (see BENCHMARKS.md: about 15% more
 * frames per second at 1920x1080). Deno does not expose a child's pipe, so the pipe is reopened
 * through `/proc/PID/fd/1` with libc's `open` and resized with `fcntl(F_SETPIPE_SZ)`, over FFI.
 * Without FFI, on other systems, or when the system refuses, the pipe keeps its size.
 *
 * @module
 */
import { openFirst } from "./ffi.ts";

const F_SETPIPE_SZ = 1031;
const O_WRONLY = 0o1;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** The size asked for; 1 MiB is also Linux's default cap for unprivileged processes. */
export const PIPE_BYTES = 1 << 20;

const LIBC = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/**
 * Sets the size of the pipe on standard output (fd 1) of the child process `pid`, which this
 * process reads. Returns the new size in bytes, or `undefined` when it stayed as it was.
 *
 * @example
 * ```ts ignore
 * import { growStdoutPipe } from "./pipe_size.ts";
 * const child = new Deno.Command("ffmpeg", { args: ["-version"], stdout: "piped" }).spawn();
 * growStdoutPipe(child.pid); // 1048576 on Linux with --allow-ffi
 * await child.output();
 * ```
 */
export function growStdoutPipe(pid: number, bytes = PIPE_BYTES): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const libc = openFirst(["libc.so.6"], LIBC)?.library; // none without FFI, or not glibc
  if (!libc) return undefined;
  try {
    const path = new TextEncoder().encode(`/proc/${pid}/fd/1\0`);
    // non-blocking: opening a pipe's write side never waits (this process is its reader)
    const fd = libc.symbols.open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return undefined; // the child is gone already
    const size = libc.symbols.fcntl(fd, F_SETPIPE_SZ, bytes);
    libc.symbols.close(fd);
    return size > 0 ? size : undefined;
  } finally {
    libc.close();
  }
}
