import assert from "node:assert/strict";
import { describePermissions, mergePermissions, permissionHint } from "./grants.ts";

Deno.test("grants: a Deno permission error becomes the config key to add", () => {
  const deno = (what: string, flag: string) =>
    `NotCapable: Requires ${what}, run again with the --allow-${flag} flag`;
  assert.equal(
    permissionHint(deno('ffi access to "/x/ort.node"', "ffi"), "det"),
    "algo det: plugin needs FFI; add 'permissions: { ffi: true }' to its entry",
  );
  assert.equal(
    permissionHint(deno('read access to "/m/a.onnx"', "read"), "det"),
    `algo det: plugin needs to read /m/a.onnx; add 'permissions: { read: ["/m/a.onnx"] }' to its entry`,
  );
  assert.match(
    permissionHint(deno('net access to "api.x:443"', "net"), "a")!,
    /net: \["api\.x:443"\]/,
  );
  assert.match(permissionHint(deno('env access to "TOKEN"', "env"), "a")!, /env: \["TOKEN"\]/);
  assert.match(permissionHint(deno("sys access", "sys"), "a")!, /sys: true/);
  assert.equal(permissionHint("TypeError: x is undefined", "a"), undefined);
});

Deno.test("grants: describe and merge", () => {
  assert.equal(describePermissions({ ffi: true, read: ["/m"] }), "ffi, read /m");
  assert.equal(describePermissions({}), "");
  assert.deepEqual(
    mergePermissions({ read: ["/a"], ffi: false }, { ffi: true, read: ["/a", "/b"] }),
    {
      read: ["/a", "/b"],
      ffi: true,
    },
  );
  assert.deepEqual(mergePermissions(undefined, { ffi: ["/lib.so"] }), { ffi: ["/lib.so"] });
});
