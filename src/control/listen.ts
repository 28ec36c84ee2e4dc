/**
 * Where the control API (and any other server of ours) listens, and who may talk to it:
 * `[HOST:]PORT` parsing, the loopback rule and bearer tokens compared in constant time.
 *
 * @module
 */
import { errorMessage, InputError } from "../errors.ts";
import { failure, HttpError, oneLine } from "./http.ts";

/** The port the control API listens on when `listen` names none. */
export const DEFAULT_CONTROL_PORT = 8600;

/** The host the control API listens on when `listen` names none. */
export const DEFAULT_CONTROL_HOST = "127.0.0.1";

/** Largest `POST /sources` body accepted, in bytes. */
/**
 * Where to listen, as {@link parseListen} returns it.
 *
 * @example
 * ```ts
 * import type { ListenAddress } from "@stream-infer/stream-infer";
 * const a: ListenAddress = { hostname: "127.0.0.1", port: 8600, loopback: true };
 * ```
 */
export interface ListenAddress {
  /** Host name or address, IPv6 without brackets. */
  hostname: string;
  /** Port, 0 for any free one. */
  port: number;
  /** Whether the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`). */
  loopback: boolean;
}

export function shown(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

/**
 * Parses a control `listen` value, `[HOST:]PORT`: `8600`, `:8600`, `0.0.0.0:8600`,
 * `[::1]:8600`, `localhost:0`. The host defaults to 127.0.0.1. Throws {@link InputError}
 * on bad input, and when a non-loopback host comes without a `token` (or the token is
 * empty or not printable ASCII).
 *
 * @example
 * ```ts
 * import { parseListen } from "@stream-infer/stream-infer";
 * console.log(parseListen("9100")); // { hostname: "127.0.0.1", port: 9100, loopback: true }
 * console.log(parseListen("0.0.0.0:9100", "s3cret").loopback); // false
 * ```
 */
export function parseListen(text: string | number, token?: string): ListenAddress {
  if (token !== undefined) checkToken(token);
  const raw = typeof text === "number" ? String(text) : text;
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new InputError(`control listen must be [HOST:]PORT (got ${shown(text)})`);
  }
  const value = raw.trim();
  let host = DEFAULT_CONTROL_HOST;
  let port = value;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\]:(.*)$/.exec(value);
  if (bracketed) {
    host = bracketed[1];
    port = bracketed[2];
  } else if (value.includes(":")) {
    const at = value.lastIndexOf(":");
    host = value.slice(0, at) || DEFAULT_CONTROL_HOST;
    port = value.slice(at + 1);
    if (host.includes(":")) {
      throw new InputError(`control listen: write an IPv6 host in brackets, [${host}]:${port}`);
    }
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new InputError(
      `control listen: port must be an integer from 0 to 65535 (got ${shown(port)})`,
    );
  }
  if (!bracketed && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new InputError(`control listen: bad host ${shown(host)}`);
  }
  const loopback = isLoopback(host);
  if (!loopback && token === undefined) {
    throw new InputError(
      `control listen ${value}: a non-loopback address requires a token (control.token)`,
    );
  }
  return { hostname: host, port: Number(port), loopback };
}

export function checkToken(token: unknown): void {
  if (typeof token !== "string" || !/^[!-~]+$/.test(token)) {
    throw new InputError("control token must be non-empty printable ASCII without spaces");
  }
}

/** Whether a host name or address (IPv6 with or without brackets) is loopback. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && Number(v4[1]) === 127 && v4.slice(2).every((o) => Number(o) <= 255);
}

/** The host part of a `Host` header (`name:port`, `[v6]:port`, or no port). */
export function hostOf(header: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(header);
  if (bracketed) return bracketed[1];
  const at = header.lastIndexOf(":");
  return at >= 0 && header.indexOf(":") === at ? header.slice(0, at) : header;
}

export async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Compares two SHA-256 digests without an early exit (constant time for equal lengths). */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * The control API's access rule for a server listening at `address`: on a loopback address a
 * `Host` that is not loopback is refused (DNS rebinding), a cross-origin `Origin` is refused,
 * and with a token every request needs `Authorization: Bearer TOKEN`. The returned check
 * throws {@link HttpError} (403 or 401). The dev UI's server uses the same rule.
 *
 * @example
 * ```ts
 * import { parseListen, requestGuard } from "./listen.ts";
 * const check = requestGuard(parseListen("127.0.0.1:0"));
 * await check(new Request("http://127.0.0.1:8600/healthz"));
 * ```
 */
export function requestGuard(
  address: ListenAddress,
  token?: string,
): (request: Request) => Promise<void> {
  const tokenDigest = token === undefined ? undefined : digest(token);
  return async function authorize(request: Request): Promise<void> {
    if (address.loopback) {
      const host = request.headers.get("host");
      if (host !== null && !isLoopback(hostOf(host))) {
        throw new HttpError(403, `host ${shown(host)} is not a loopback name`);
      }
    }
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== "null") {
      let same = false;
      try {
        same = new URL(origin).host === request.headers.get("host");
      } catch {
        // an unparsable Origin is not the same origin
      }
      if (!same) throw new HttpError(403, `cross-origin requests are refused (${origin})`);
    } else if (origin === "null") {
      throw new HttpError(403, "cross-origin requests are refused (null origin)");
    }
    if (tokenDigest === undefined) return;
    const challenge = { "www-authenticate": 'Bearer realm="stream-infer"' };
    const header = request.headers.get("authorization");
    const m = header === null ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!m) throw new HttpError(401, "missing bearer token", challenge);
    if (!sameDigest(await digest(m[1]), await tokenDigest)) {
      throw new HttpError(401, "wrong bearer token", challenge);
    }
  };
}

/** A server {@link listenOn} started, and the URL it answers on. */
export interface Listening {
  /** The Deno server. */
  server: Deno.HttpServer<Deno.NetAddr>;
  /** `http://host:port` (IPv6 hosts in brackets). */
  url: string;
}

/**
 * Serves `handler` on `address` (the control API and the dev UI alike). A port in use or an
 * address that cannot be bound is an {@link InputError} naming `label` and the address; a
 * handler that throws answers 500 with a one-line JSON error.
 *
 * @example
 * ```ts
 * import { listenOn, parseListen } from "./listen.ts";
 * const { server, url } = listenOn(parseListen("127.0.0.1:0"), () => new Response("ok"), "demo");
 * console.log(url);
 * await server.shutdown();
 * ```
 */
export function listenOn(
  address: ListenAddress,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  label: string,
  signal?: AbortSignal,
): Listening {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      signal,
      onListen() {},
      onError: (e) => failure(500, errorMessage(e)),
    }, handler);
  } catch (e) {
    const where = `${address.hostname}:${address.port}`;
    if (e instanceof Deno.errors.AddrInUse) {
      throw new InputError(`${label}: cannot listen on ${where}: address in use`, { cause: e });
    }
    if (e instanceof Deno.errors.AddrNotAvailable || e instanceof Deno.errors.PermissionDenied) {
      throw new InputError(`${label}: cannot listen on ${where}: ${oneLine(errorMessage(e))}`, {
        cause: e,
      });
    }
    throw e;
  }
  const hostname = server.addr.hostname;
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { server, url: `http://${urlHost}:${server.addr.port}` };
}
