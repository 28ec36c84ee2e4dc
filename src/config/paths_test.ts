import assert from "node:assert/strict";
import { configDir, normalizePath, resolveOptionPaths, resolvePath } from "./paths.ts";

Deno.test("paths: normalise, resolve against the config folder, leave URLs alone", () => {
  assert.equal(normalizePath("/a/./b/../c//d"), "/a/c/d");
  assert.equal(normalizePath("/../x"), "/x");
  assert.equal(normalizePath("../a/../../b"), "../../b");
  assert.equal(configDir("/srv/p/c.yaml"), "/srv/p");
  assert.equal(configDir("c.yaml"), Deno.cwd());
  assert.equal(resolvePath("/srv/p", "./a.mp4"), "/srv/p/a.mp4");
  assert.equal(resolvePath("/srv/p", "../m/y.onnx"), "/srv/m/y.onnx");
  assert.equal(resolvePath("/srv/p", "/abs.mp4"), "/abs.mp4");
  assert.equal(resolvePath("/srv/p", "file:///v/a%20b.mp4"), "/v/a b.mp4");
  for (const url of ["rtsp://h/1", "https://h/a.ts", "-", "/dev/video0"]) {
    assert.equal(resolvePath("/srv/p", url), url);
  }
});

Deno.test("paths: only ./ and ../ option strings are resolved, at any depth", () => {
  assert.deepEqual(
    resolveOptionPaths({
      model: "./m.onnx",
      nested: { list: ["../l.txt", "car", 3] },
      plain: "models/x.onnx",
      url: "https://x/y",
    }, "/srv/p"),
    {
      model: "/srv/p/m.onnx",
      nested: { list: ["/srv/l.txt", "car", 3] },
      plain: "models/x.onnx",
      url: "https://x/y",
    },
  );
  assert.equal(resolveOptionPaths(undefined, "/srv"), undefined);
});
