import assert from "node:assert/strict";
import { interpolate } from "./env.ts";

const env = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("interpolate: ${VAR}, ${VAR:-default}, $${ and errors", () => {
  const e = env({ HOST: "cam", EMPTY: "", PORT: "8554" });
  assert.equal(interpolate("rtsp://${HOST}:${PORT}/a", e), "rtsp://cam:8554/a");
  assert.equal(interpolate("${MISSING:-x.mp4}", e), "x.mp4");
  assert.equal(interpolate("${EMPTY:-fallback}", e), "fallback"); // empty counts as unset
  assert.equal(interpolate("${MISSING:-}", e), "");
  assert.equal(interpolate("cost $5 and $${HOST}", e), "cost $5 and ${HOST}");
  assert.equal(interpolate("no references", e), "no references");
  assert.throws(() => interpolate("${MISSING}", e), /MISSING is not set .*\$\{MISSING:-value\}/);
  assert.throws(() => interpolate("${HOST", e), /without a closing/);
  assert.throws(() => interpolate("${1BAD}", e), /bad variable reference/);
  assert.throws(() => interpolate("${}", e), /bad variable reference/);
});
