/**
 * Class names: the COCO names, the reader of the `names` metadata entry of Ultralytics exports,
 * and the class filter (ids or names to class ids).
 *
 * @module
 */
import { InputError } from "../../mod.ts";

/**
 * The 80 COCO class names, in the order YOLO models trained on COCO use.
 *
 * @example
 * ```ts
 * import { COCO_NAMES } from "@stream-infer/stream-infer/plugins/yolo";
 * console.log(COCO_NAMES[2]); // "car"
 * ```
 */
export const COCO_NAMES: readonly string[] = Object.freeze([
  "person",
  "bicycle",
  "car",
  "motorcycle",
  "airplane",
  "bus",
  "train",
  "truck",
  "boat",
  "traffic light",
  "fire hydrant",
  "stop sign",
  "parking meter",
  "bench",
  "bird",
  "cat",
  "dog",
  "horse",
  "sheep",
  "cow",
  "elephant",
  "bear",
  "zebra",
  "giraffe",
  "backpack",
  "umbrella",
  "handbag",
  "tie",
  "suitcase",
  "frisbee",
  "skis",
  "snowboard",
  "sports ball",
  "kite",
  "baseball bat",
  "baseball glove",
  "skateboard",
  "surfboard",
  "tennis racket",
  "bottle",
  "wine glass",
  "cup",
  "fork",
  "knife",
  "spoon",
  "bowl",
  "banana",
  "apple",
  "sandwich",
  "orange",
  "broccoli",
  "carrot",
  "hot dog",
  "pizza",
  "donut",
  "cake",
  "chair",
  "couch",
  "potted plant",
  "bed",
  "dining table",
  "toilet",
  "tv",
  "laptop",
  "mouse",
  "remote",
  "keyboard",
  "cell phone",
  "microwave",
  "oven",
  "toaster",
  "sink",
  "refrigerator",
  "book",
  "clock",
  "vase",
  "scissors",
  "teddy bear",
  "hair drier",
  "toothbrush",
]);

/**
 * Parses the class names an Ultralytics export stores in its `names` metadata entry: a Python
 * dict literal such as `{0: 'person', 1: "driver's seat"}`. Also accepts JSON objects
 * (`{"0": "person"}`) and lists (`['person', 'car']`). Gaps in the ids are named `class<id>`.
 *
 * @throws {SyntaxError} when the text is not such a literal.
 * @example
 * ```ts
 * import { parseNames } from "@stream-infer/stream-infer/plugins/yolo";
 * console.log(parseNames("{0: 'person', 1: \"rider's bike\", 3: 'car'}"));
 * // ["person", "rider's bike", "class2", "car"]
 * ```
 */
export function parseNames(text: string): string[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`names: ${what} at offset ${i} of ${JSON.stringify(text.slice(0, 80))}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') fail("expected a quoted string");
    i++;
    let out = "";
    while (i < text.length && text[i] !== q) {
      const ch = text[i++];
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const e = text[i++];
      const hex = (n: number): string => {
        const h = text.slice(i, i + n);
        if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) fail("bad escape");
        i += n;
        return String.fromCodePoint(parseInt(h, 16));
      };
      switch (e) {
        case "n":
          out += "\n";
          break;
        case "t":
          out += "\t";
          break;
        case "r":
          out += "\r";
          break;
        case "0":
          out += "\0";
          break;
        case "x":
          out += hex(2);
          break;
        case "u":
          out += hex(4);
          break;
        case "U":
          out += hex(8);
          break;
        case "\\":
        case "'":
        case '"':
        case "/":
          out += e;
          break;
        default:
          if (e === undefined) fail("unterminated string");
          out += "\\" + e; // Python keeps unknown escapes verbatim
      }
    }
    if (i >= text.length) fail("unterminated string");
    i++;
    return out;
  };
  const key = (): number => {
    let raw: string;
    if (text[i] === "'" || text[i] === '"') raw = str().trim();
    else {
      const m = /^-?\d+/.exec(text.slice(i, i + 20));
      if (!m) return fail("expected an integer key");
      raw = m[0];
      i += raw.length;
    }
    if (!/^\d+$/.test(raw)) fail(`bad class id ${JSON.stringify(raw)}`);
    const id = Number(raw);
    if (id > 1_000_000) fail(`class id ${id} too large`);
    return id;
  };

  const byId = new Map<number, string>();
  ws();
  const open = text[i];
  if (open !== "{" && open !== "[") fail("expected '{' or '['");
  const close = open === "{" ? "}" : "]";
  i++;
  ws();
  let n = 0;
  while (text[i] !== close) {
    if (i >= text.length) fail(`missing '${close}'`);
    let id = n;
    if (open === "{") {
      id = key();
      ws();
      if (text[i] !== ":") fail("expected ':'");
      i++;
      ws();
    }
    byId.set(id, str());
    n++;
    ws();
    if (text[i] === ",") {
      i++;
      ws();
    } else if (text[i] !== close) fail(`expected ',' or '${close}'`);
  }
  i++;
  ws();
  if (i < text.length) fail("trailing characters");
  let size = 0;
  for (const id of byId.keys()) size = Math.max(size, id + 1);
  const names: string[] = new Array(size);
  for (let c = 0; c < size; c++) names[c] = byId.get(c) ?? `class${c}`;
  return names;
}

/** The name of class `cls`, or `class<id>` beyond `names`. */
export function nameOf(names: readonly string[], cls: number): string {
  return names[cls] ?? `class${cls}`;
}

/**
 * The class ids that a `classes` filter (ids or names looked up in `names`) keeps.
 *
 * @throws {InputError} on an id that is not an integer >= 0, or an unknown name.
 */
export function resolveClasses(
  classes: readonly (number | string)[],
  names: readonly string[],
): Set<number> {
  const out = new Set<number>();
  for (const c of classes) {
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 0) {
        throw new InputError(`classes: ${c} is not a class id (integer >= 0)`);
      }
      out.add(c);
    } else if (typeof c === "string") {
      const id = names.indexOf(c);
      if (id < 0) {
        const sample = names.slice(0, 8).join(", ");
        throw new InputError(
          `classes: unknown class name ${JSON.stringify(c)} (the model has: ${sample}${
            names.length > 8 ? ", ..." : ""
          })`,
        );
      }
      out.add(id);
    } else {
      throw new InputError(`classes: expected class ids or names, got ${JSON.stringify(c)}`);
    }
  }
  return out;
}
