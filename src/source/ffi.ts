/**
 * Calling native libraries (Deno's FFI) from the frame source: whether it is allowed, and
 * opening the first of several library names that loads. Everything that uses FFI here also
 * works without it, by another way.
 *
 * @module
 */

/**
 * Whether this process may call native code (`--allow-ffi`).
 *
 * @example
 * ```ts ignore
 * import { ffiAllowed } from "./ffi.ts";
 * console.log(ffiAllowed()); // true under deno run --allow-ffi
 * ```
 */
export function ffiAllowed(): boolean {
  return Deno.permissions.querySync?.({ name: "ffi" }).state === "granted";
}

/**
 * Opens the first of `names` that loads, with its name; `null` when FFI is not allowed or
 * none loads. Close the library when done.
 *
 * @example
 * ```ts ignore
 * import { openFirst } from "./ffi.ts";
 * const libc = openFirst(["libc.so.6"], { getpid: { parameters: [], result: "i32" } });
 * console.log(libc?.library.symbols.getpid());
 * libc?.library.close();
 * ```
 */
export function openFirst<S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
): { name: string; library: Deno.DynamicLibrary<S> } | null {
  if (!ffiAllowed()) return null;
  for (const name of names) {
    try {
      return { name, library: Deno.dlopen(name, symbols) };
    } catch { /* try the next one */ }
  }
  return null;
}
