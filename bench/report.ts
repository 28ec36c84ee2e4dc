/**
 * Shared by the benchmarks: what goes into BENCHMARKS.md (the machine, medians) and writing
 * one section of it.
 *
 * @module
 */
import { stdoutOf } from "./tools.ts";

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

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The 1-minute load average, or NaN where Deno cannot read it. */
export function loadAverage(): number {
  try {
    return Deno.loadavg()[0];
  } catch {
    return NaN;
  }
}

/**
 * The machine, as Markdown list items: CPU, RAM, Deno, then `extra`, then ffmpeg's version.
 * /proc is read through `cat`: Deno reads it only with --allow-all.
 */
export async function machine(ffmpeg: string, extra: string[] = []): Promise<string[]> {
  const nproc = (await stdoutOf("nproc", []))?.trim() ?? String(navigator.hardwareConcurrency);
  const cpuinfo = (await stdoutOf("cat", ["/proc/cpuinfo"])) ?? "";
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  const ram = `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`;
  const version = (await stdoutOf(ffmpeg, ["-hide_banner", "-version"]))?.split("\n")[0].trim()
    .replace(/ Copyright.*$/, "") ?? "ffmpeg ?";
  return [
    `- CPU: ${cpu}, nproc ${nproc}`,
    `- RAM: ${ram}`,
    `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${Deno.build.target}`,
    ...extra,
    `- ${version}`,
  ];
}
