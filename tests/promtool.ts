/**
 * Running Debian's `promtool` in tests: whether it is installed, and `promtool check metrics`
 * on a text.
 */

/** Whether `promtool` runs on this machine (tests that need it are ignored otherwise). */
export async function findPromtool(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("promtool", {
      args: ["--version"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** `promtool check metrics` on `text` (stdin): its exit code and everything it printed. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    output: (decoder.decode(out.stdout) + decoder.decode(out.stderr)).trim(),
  };
}
