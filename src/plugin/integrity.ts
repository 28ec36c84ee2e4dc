/**
 * Where a plugin's bytes may come from, reading them, and Subresource-Integrity pins.
 *
 * Sources: a local path (relative to a base directory), a `file:` URL, an `https:` URL, or an
 * `http:` URL on a loopback host (`127.0.0.0/8`, `localhost`, `[::1]`), which exists so tests and
 * local development can serve plugins. Anything else is refused by rule, before any network
 * traffic; so is a redirect to such a place, and a redirect of a remote plugin to anything but
 * another allowed remote URL (a `file:` target is refused without being read).
 *
 * A pin has the SRI form `sha256-<base64 of the SHA-256 digest>` (`sha384-` and `sha512-` are
 * accepted too). `stream-infer plugin hash <url|path>` prints the value to pin.
 *
 * @module
 */
import { builtinPluginUrl } from "./builtin.ts";
import { PluginError } from "../errors.ts";

/**
 * Hash algorithms a pin may use.
 *
 * @example
 * ```ts
 * import type { IntegrityAlgorithm } from "./integrity.ts";
 * const algorithm: IntegrityAlgorithm = "sha256";
 * ```
 */
export type IntegrityAlgorithm = "sha256" | "sha384" | "sha512";

const DIGESTS: Record<IntegrityAlgorithm, { subtle: string; bytes: number }> = {
  sha256: { subtle: "SHA-256", bytes: 32 },
  sha384: { subtle: "SHA-384", bytes: 48 },
  sha512: { subtle: "SHA-512", bytes: 64 },
};

/** Default time allowed for fetching a remote plugin, in milliseconds. */
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 10;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Computes the SRI value of some bytes, e.g. `sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=`.
 *
 * @example
 * ```ts
 * import { computeIntegrity } from "@stream-infer/stream-infer";
 * console.log(await computeIntegrity(new Uint8Array())); // "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
 * ```
 */
export async function computeIntegrity(
  bytes: Uint8Array,
  algorithm: IntegrityAlgorithm = "sha256",
): Promise<string> {
  const digest = await crypto.subtle.digest(DIGESTS[algorithm].subtle, bytes as BufferSource);
  return `${algorithm}-${toBase64(new Uint8Array(digest))}`;
}

/**
 * Splits an SRI value into its algorithm and base64 digest, or returns `undefined` when it is not
 * one (wrong prefix, not base64, or a digest of the wrong length).
 *
 * @example
 * ```ts
 * import { parseIntegrity } from "./integrity.ts";
 * console.log(parseIntegrity("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")?.algorithm); // "sha256"
 * console.log(parseIntegrity("md5-abc")); // undefined
 * ```
 */
export function parseIntegrity(
  value: string,
): { algorithm: IntegrityAlgorithm; digest: string } | undefined {
  const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(value.trim());
  if (!match) return undefined;
  const algorithm = match[1] as IntegrityAlgorithm;
  let decoded: string;
  try {
    decoded = atob(match[2]);
  } catch {
    return undefined;
  }
  if (decoded.length !== DIGESTS[algorithm].bytes) return undefined;
  return { algorithm, digest: match[2] };
}

/**
 * Whether a string is a well-formed SRI pin (`sha256-<base64>`, or `sha384-`/`sha512-`).
 *
 * @example
 * ```ts
 * import { isIntegrity } from "./integrity.ts";
 * console.log(isIntegrity("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")); // true
 * console.log(isIntegrity("sha256-nope")); // false
 * ```
 */
export function isIntegrity(value: string): boolean {
  return parseIntegrity(value) !== undefined;
}

/**
 * Checks bytes against a pin and returns the pin. Throws {@link PluginError} when the pin is
 * malformed, or when the bytes do not match (the message shows the expected and actual values).
 *
 * @example
 * ```ts
 * import { verifyIntegrity } from "./integrity.ts";
 * const bytes = new TextEncoder().encode("export default class { run() { return 1; } }");
 * try {
 *   await verifyIntegrity(bytes, "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "algo.ts");
 * } catch (e) {
 *   console.log((e as Error).message); // integrity mismatch for plugin algo.ts: expected ..., got ...
 * }
 * ```
 */
export async function verifyIntegrity(
  bytes: Uint8Array,
  expected: string,
  label: string,
): Promise<string> {
  const pin = parseIntegrity(expected);
  if (!pin) {
    throw new PluginError(
      `invalid integrity for plugin ${label}: expected sha256-<base64> (got '${expected}')`,
    );
  }
  const actual = await computeIntegrity(bytes, pin.algorithm);
  if (actual !== `${pin.algorithm}-${pin.digest}`) {
    throw new PluginError(
      `integrity mismatch for plugin ${label}: expected ${expected.trim()}, got ${actual}; ` +
        `refusing to load it (if the change is intended, re-pin with: stream-infer plugin hash ${label})`,
    );
  }
  return actual;
}

/**
 * Turns a plugin reference into a URL: a built-in plugin's name (`yolo`, `motion`) as the
 * package's own module, a URL (`https:`, `file:`, ...) as it is, or a local path resolved
 * against `base` (a directory path or URL; default: the working directory).
 *
 * @example
 * ```ts
 * import { resolvePlugin } from "./integrity.ts";
 * console.log(resolvePlugin("./motion.ts", "/srv/app/").href); // "file:///srv/app/motion.ts"
 * ```
 */
export function resolvePlugin(spec: string, base?: string | URL): URL {
  const builtin = builtinPluginUrl(spec);
  if (builtin) return builtin; // `yolo`, `motion`: the package's own plugins
  // Two or more letters before the colon: a URL scheme (a single letter is a Windows drive).
  if (/^[a-z][a-z0-9+.-]+:/i.test(spec)) return new URL(spec);
  let baseUrl: URL;
  if (base instanceof URL) baseUrl = base;
  else {
    let dir = base ?? Deno.cwd();
    if (!dir.startsWith("/")) dir = `${Deno.cwd()}/${dir}`; // a relative base: against the cwd
    baseUrl = new URL(`file://${dir.endsWith("/") ? dir : dir + "/"}`);
  }
  return new URL(spec.replaceAll("\\", "/").replace(/^(?!\.{0,2}\/)/, "./"), baseUrl);
}

/**
 * Whether a URL hostname is a loopback host: `localhost`, `127.0.0.0/8` or `[::1]`.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./integrity.ts";
 * console.log(isLoopbackHost(new URL("http://127.0.0.1:8000/a.ts").hostname)); // true
 * console.log(isLoopbackHost("example.com")); // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host === "[::1]") return true;
  const octets = host.split(".");
  return octets.length === 4 && octets[0] === "127" &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * Applies the source rule to a plugin URL: `file:`, `https:`, and `http:` on a loopback host are
 * allowed; anything else throws {@link PluginError}. It never touches the network.
 *
 * @example
 * ```ts
 * import { checkPluginUrl } from "./integrity.ts";
 * checkPluginUrl(new URL("https://cdn.example.com/algo.ts"), "algo"); // fine
 * try {
 *   checkPluginUrl(new URL("http://example.com/algo.ts"), "algo");
 * } catch (e) {
 *   console.log((e as Error).message); // refusing plugin algo: http: is only allowed for loopback hosts ...
 * }
 * ```
 */
export function checkPluginUrl(url: URL, spec: string): void {
  switch (url.protocol) {
    case "file:":
    case "https:":
      return;
    case "http:":
      if (isLoopbackHost(url.hostname)) return;
      throw new PluginError(
        `refusing plugin ${spec}: http: is only allowed for loopback hosts ` +
          `(127.0.0.0/8, localhost, [::1]); use an https: URL`,
      );
    default:
      throw new PluginError(
        `unsupported plugin source ${spec}: use a local path, a file: URL or an https: URL`,
      );
  }
}

/**
 * The bytes of a plugin, as read by {@link readPluginBytes}.
 *
 * @example
 * ```ts
 * import { type PluginBytes, readPluginBytes } from "./integrity.ts";
 * const read: PluginBytes = await readPluginBytes("./plugins/motion.ts");
 * console.log(read.url.href, read.bytes.length, read.remote);
 * ```
 */
export interface PluginBytes {
  /** Where the bytes came from: the file URL, or the final URL after redirects. */
  url: URL;
  /** The plugin's bytes, exactly as read. */
  bytes: Uint8Array;
  /** The `Content-Type` header of a remote plugin, if any. */
  contentType?: string;
  /** Whether the plugin came over the network. */
  remote: boolean;
}

/**
 * Options of {@link readPluginBytes} and {@link hashPlugin}.
 *
 * @example
 * ```ts
 * import type { ReadPluginOptions } from "./integrity.ts";
 * const opts: ReadPluginOptions = { base: "/srv/pipelines/", timeoutMs: 10_000 };
 * ```
 */
export interface ReadPluginOptions {
  /** Directory (path or URL) that relative paths are resolved against (default: working dir). */
  base?: string | URL;
  /** Time allowed for fetching a remote plugin, in milliseconds (default 30 000). */
  timeoutMs?: number;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

async function readLocal(url: URL, spec: string): Promise<PluginBytes> {
  const path = decodeURIComponent(url.pathname);
  try {
    return { url, bytes: await Deno.readFile(url), remote: false };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PluginError(`plugin not found: ${spec} (no such file: ${path})`);
    }
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    throw new PluginError(`cannot read plugin ${spec} (${path}): ${firstLine(e)}`);
  }
}

/**
 * A redirect of a remote plugin may only go to another remote URL that the source rule allows:
 * `https:`, or `http:` on a loopback host. A `file:` (or any other) target is refused before
 * anything is read from it, so a server cannot make stream-infer load a local file.
 */
function checkRedirect(target: URL, spec: string): void {
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    throw new PluginError(
      `refusing plugin ${spec}: it redirects to ${target.href.split(/[\r\n]/)[0]}; ` +
        `a remote plugin may only redirect to https: or loopback http: URLs`,
    );
  }
  checkPluginUrl(target, `${spec} (redirected to ${target.href})`);
}

async function readRemote(url: URL, spec: string, timeoutMs: number): Promise<PluginBytes> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let current = url;
    for (let hop = 0;; hop++) {
      let response: Response;
      try {
        response = await fetch(current, { redirect: "manual", signal: controller.signal });
      } catch (e) {
        if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
          throw e;
        }
        const why = controller.signal.aborted
          ? `no response within ${timeoutMs / 1000} s`
          : firstLine(e);
        throw new PluginError(`network error fetching plugin ${spec}: ${why}`);
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) {
          throw new PluginError(
            `cannot fetch plugin ${spec}: more than ${MAX_REDIRECTS} redirects`,
          );
        }
        current = new URL(location, current);
        checkRedirect(current, spec);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        const status = `HTTP ${response.status}${
          response.statusText ? " " + response.statusText : ""
        } from ${current.href}`;
        if (response.status === 404 || response.status === 410) {
          throw new PluginError(`plugin not found: ${spec} (${status})`);
        }
        throw new PluginError(`cannot fetch plugin ${spec}: ${status}`);
      }
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (e) {
        const why = controller.signal.aborted
          ? `no complete response within ${timeoutMs / 1000} s`
          : firstLine(e);
        throw new PluginError(`network error fetching plugin ${spec}: ${why}`);
      }
      const contentType = response.headers.get("content-type") ?? undefined;
      return { url: current, bytes, remote: true, ...(contentType ? { contentType } : {}) };
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a plugin's bytes from a local path, a `file:` URL, an `https:` URL, or an `http:` URL on
 * a loopback host. Nothing is imported or run. Throws {@link PluginError} with distinct messages
 * for a refused source (`refusing plugin ...`, before any network traffic), a missing plugin
 * (`plugin not found: ...`, for a missing file or HTTP 404/410), other HTTP failures
 * (`cannot fetch plugin ...`) and network failures (`network error fetching plugin ...`).
 *
 * @example
 * ```ts
 * import { readPluginBytes } from "./integrity.ts";
 * const { bytes, url } = await readPluginBytes("https://cdn.example.com/algo.ts");
 * console.log(url.href, bytes.length);
 * ```
 */
export async function readPluginBytes(
  spec: string,
  options: ReadPluginOptions = {},
): Promise<PluginBytes> {
  const url = resolvePlugin(spec, options.base);
  checkPluginUrl(url, spec);
  if (url.protocol === "file:") return await readLocal(url, spec);
  return await readRemote(url, spec, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/**
 * Reads a plugin (as {@link readPluginBytes} does) and returns its SRI value, the one to put in
 * the algo entry's `integrity` key. This is what `stream-infer plugin hash <url|path>` prints.
 *
 * @example
 * ```ts
 * import { hashPlugin } from "@stream-infer/stream-infer";
 * console.log(await hashPlugin("./plugins/motion.ts")); // "sha256-..."
 * ```
 */
export async function hashPlugin(
  spec: string,
  options: ReadPluginOptions & { algorithm?: IntegrityAlgorithm } = {},
): Promise<string> {
  const { bytes } = await readPluginBytes(spec, options);
  return await computeIntegrity(bytes, options.algorithm);
}
