import assert from "node:assert/strict";
import { growStdoutPipe, PIPE_BYTES } from "./pipe_size.ts";

const F_GETPIPE_SZ = 1032;

/** The size of the pipe on the child's stdout, read independently of the module. */
function pipeSize(pid: number): number {
  const libc = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  try {
    const fd = libc.symbols.open(new TextEncoder().encode(`/proc/${pid}/fd/1\0`), 0o1 | 0o4000);
    assert.ok(fd >= 0, "the child's stdout opens");
    const size = libc.symbols.fcntl(fd, F_GETPIPE_SZ, 0);
    libc.symbols.close(fd);
    return size;
  } finally {
    libc.close();
  }
}

Deno.test({
  name: "growStdoutPipe: a child's stdout pipe grows from 64 KiB to 1 MiB, and still carries " +
    "every byte",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
    assert.equal(pipeSize(child.pid), 64 * 1024);
    assert.equal(growStdoutPipe(child.pid), PIPE_BYTES);
    assert.equal(pipeSize(child.pid), PIPE_BYTES);
    const data = new Uint8Array(3 * PIPE_BYTES + 12345).map((_, i) => i * 7);
    const writer = child.stdin.getWriter();
    const written = writer.write(data).then(() => writer.close());
    const out = new Uint8Array(await new Response(child.stdout).arrayBuffer());
    await written;
    assert.equal((await child.status).success, true);
    assert.deepEqual(out, data);
  },
});

Deno.test({
  name: "growStdoutPipe: without FFI permission the pipe keeps its size",
  ignore: Deno.build.os !== "linux",
  permissions: { ffi: false, run: true },
  async fn() {
    const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
    assert.equal(growStdoutPipe(child.pid), undefined);
    await child.stdin.close();
    await child.output();
  },
});
