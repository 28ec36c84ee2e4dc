/**
 * The line and zone editor's server side: {@link checkShape} validates a drawn line or
 * polygon (the `analytics:` entry schema, the frame's bounds, a polygon that does not cross
 * itself), and {@link saveShape} writes it into the config YAML as an `analytics:` entry with
 * the npm `yaml` Document API, so the file's comments and layout stay as they were.
 *
 * @module
 */
import { isMap, isSeq, parseDocument, type YAMLMap, YAMLSeq } from "yaml";
import { analyticsEntrySchema, type AnalyticsOptions } from "../analytics/config.ts";
import { parseConfig } from "../config/load.ts";
import { InputError } from "../errors.ts";

type Point = [number, number];

/**
 * Checks a drawn line or zone and returns it as an `analytics:` entry. Throws
 * {@link InputError} with a one-line reason: a bad entry, a point outside the frame
 * (`size`), a zone of no area or whose edges cross.
 *
 * @example
 * ```ts
 * import { checkShape } from "./editor.ts";
 * const gate = checkShape({ type: "line", name: "gate", on: "det", points: [[0, 10], [60, 10]] }, { width: 64, height: 48 });
 * console.log(gate.points.length); // 2
 * ```
 */
export function checkShape(
  value: unknown,
  size?: { width: number; height: number },
): AnalyticsOptions {
  const parsed = analyticsEntrySchema().safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    throw new InputError(`bad ${shapeKind(value)}: ${where}${issue.message}`);
  }
  const entry = parsed.data;
  const points = entry.points.map(([x, y]) => [round(x), round(y)] as Point);
  if (size) {
    const out = points.find(([x, y]) => x < 0 || y < 0 || x > size.width || y > size.height);
    if (out) {
      throw new InputError(
        `bad ${entry.type}: point [${out}] is outside the ${size.width}x${size.height} frame`,
      );
    }
  }
  if (entry.type === "zone") {
    if (crosses(points)) throw new InputError("bad zone: the polygon's edges cross each other");
    if (Math.abs(area(points)) < 1) throw new InputError("bad zone: the polygon has no area");
  } else if (points.every(([x, y]) => x === points[0][0] && y === points[0][1])) {
    throw new InputError("bad line: its points are all the same");
  }
  return { ...entry, points };
}

/**
 * Writes `entry` into the config file's `analytics:` list (replacing an entry of the same
 * name, else appending; the list is created when missing), keeping comments. The new text is
 * validated as a config before it replaces the file (written to a temporary file, then
 * renamed). Throws {@link InputError} or the config's `ConfigError`.
 *
 * @example
 * ```ts ignore
 * import { saveShape } from "./editor.ts";
 * await saveShape("pipeline.yaml", { type: "line", name: "gate", on: "det", points: [[0, 300], [768, 300]] });
 * ```
 */
export async function saveShape(file: string, entry: AnalyticsOptions): Promise<string> {
  const text = await Deno.readTextFile(file);
  const next = withShape(text, entry);
  parseConfig(next, file);
  const temp = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, next);
    await Deno.rename(temp, file);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
  return next;
}

/**
 * The config text with `entry` in its `analytics:` list (see {@link saveShape}).
 *
 * @example
 * ```ts
 * import { withShape } from "./editor.ts";
 * const text = withShape("# my pipeline\nsource: a.mp4 # the clip\n", {
 *   type: "line", name: "gate", on: "det", points: [[0, 5], [9, 5]],
 * });
 * console.log(text.includes("# the clip"), text.includes("name: gate")); // true true
 * ```
 */
export function withShape(text: string, entry: AnalyticsOptions): string {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    throw new InputError(`the config is not valid YAML: ${doc.errors[0].message}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new InputError("the config is not a mapping");
  }
  const node = doc.createNode(entry) as YAMLMap;
  const points = node.get("points", true);
  if (isSeq(points)) {
    points.flow = true;
    for (const p of points.items) if (isSeq(p)) p.flow = true;
  }
  let list = doc.get("analytics", true);
  if (list === undefined || list === null || (!isSeq(list) && isEmptyScalar(list))) {
    list = new YAMLSeq();
    doc.set("analytics", list);
  }
  if (!isSeq(list)) throw new InputError("the config's analytics: is not a list");
  const seq = list as YAMLSeq;
  const at = seq.items.findIndex((item) => isMap(item) && item.get("name") === entry.name);
  if (at >= 0) {
    const old = seq.items[at] as YAMLMap;
    node.commentBefore = old.commentBefore;
    node.comment = old.comment;
    seq.items[at] = node;
  } else {
    seq.items.push(node);
  }
  return doc.toString();
}

function isEmptyScalar(node: unknown): boolean {
  return typeof node === "object" && node !== null && "value" in node &&
    (node as { value: unknown }).value === null;
}

function shapeKind(value: unknown): string {
  const type = (value as { type?: unknown } | null)?.type;
  return type === "zone" || type === "line" ? type : "shape";
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function area(points: Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

/** Whether two edges of the closed polygon that do not share a corner intersect. */
function crosses(points: Point[]): boolean {
  const n = points.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      if (
        segmentsCross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n])
      ) return true;
    }
  }
  return false;
}

function segmentsCross(a: Point, b: Point, c: Point, d: Point): boolean {
  const side = (p: Point, q: Point, r: Point) =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}
