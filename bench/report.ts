/**
 * Shared by the benchmarks: writing one section of BENCHMARKS.md.
 *
 * @module
 */

const BENCHMARKS_MD = new URL("../BENCHMARKS.md", import.meta.url);

/**
 * Writes `section` into BENCHMARKS.md, replacing only the section under the same `## heading`
 * (or appending it), so each benchmark owns its own section.
 */
export async function writeSection(heading: string, section: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(BENCHMARKS_MD);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    text = "# Benchmarks\n\nOne section per benchmark; each benchmark rewrites only its own " +
      "section.\n";
  }
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  let before = text;
  let after = "";
  if (start >= 0) {
    const next = lines.findIndex((l, i) => i > start && /^## /.test(l));
    before = lines.slice(0, start).join("\n");
    after = next < 0 ? "" : lines.slice(next).join("\n");
  }
  const parts = [before.trimEnd(), section.trim(), after.trim()].filter((p) => p !== "");
  await Deno.writeTextFile(BENCHMARKS_MD, parts.join("\n\n") + "\n");
}
