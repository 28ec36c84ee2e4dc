/**
 * Compact outputs: extends a YOLO model with three small outputs computed by onnxruntime (the
 * boxes, each anchor's best class score and that class), so that a run hands over about 20
 * bytes per anchor instead of the whole `[1, 4 + nc, N]` output.
 *
 * @module
 */
import { fields, fieldText } from "./metadata.ts";

const utf8Encoder = new TextEncoder();

/** Names of the outputs {@link withCompactOutputs} adds. */
export const COMPACT_BOXES = "stream_infer.boxes";
export const COMPACT_SCORES = "stream_infer.best_score";
export const COMPACT_CLASSES = "stream_infer.best_class";
export const COMPACT_OUTPUTS = [COMPACT_BOXES, COMPACT_SCORES, COMPACT_CLASSES];

/** A minimal protobuf writer, for the few ONNX messages {@link withCompactOutputs} adds. */
class ProtoWriter {
  readonly bytes: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }

  int(field: number, v: number | bigint): this {
    return this.varint(field * 8).varint(v);
  }

  raw(field: number, data: ArrayLike<number>): this {
    this.varint(field * 8 + 2).varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
    return this;
  }

  string(field: number, text: string): this {
    return this.raw(field, utf8Encoder.encode(text));
  }

  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.raw(field, inner.bytes);
  }
}

/** The default-domain opset and the first graph output's name of a serialized ModelProto. */
function modelOutline(bytes: Uint8Array): { opset: number; output: string } | null {
  let opset = 0;
  let output: string | null = null;
  for (const f of fields(bytes, 0, bytes.length)) {
    if (f.wire !== 2) continue;
    if (f.end > bytes.length) return null;
    if (f.field === 8) {
      // OperatorSetIdProto { domain = 1, version = 2 }
      let domain = "";
      let version = 0;
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field === 1 && g.wire === 2) domain = fieldText(bytes, g);
        else if (g.field === 2 && g.wire === 0) version = g.value;
      }
      if (domain === "" || domain === "ai.onnx") opset = Math.max(opset, version);
    } else if (f.field === 7 && output === null) {
      // GraphProto: the first output (field 12), a ValueInfoProto whose name is field 1
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field !== 12 || g.wire !== 2) continue;
        for (const v of fields(bytes, g.start, g.end)) {
          if (v.field === 1 && v.wire === 2) {
            output = fieldText(bytes, v);
            break;
          }
        }
        if (output !== null) break;
      }
    }
  }
  return output === null ? null : { opset, output };
}

/**
 * Extends a YOLO model whose first output is `[1, 4 + nc, N]` with three outputs computed from
 * it: the boxes `[1, 4, N]`, each anchor's best class score `[1, 1, N]` (float32) and that
 * class `[1, 1, N]` (int32; the first one on ties). Fetching only those, a run hands over
 * about 20 bytes per anchor instead of `4 * (4 + nc)`, and onnxruntime finds the best
 * classes instead of JavaScript. The extra graph is appended as a second `graph` field,
 * which protobuf parsers merge into the first (repeated fields are concatenated), so the
 * model itself is not re-encoded. Returns `null` when the bytes are not a model it can
 * extend (opset < 11, no graph output).
 */
export function withCompactOutputs(model: Uint8Array): Uint8Array | null {
  let outline;
  try {
    outline = modelOutline(model);
  } catch {
    return null;
  }
  if (!outline || outline.opset < 11) return null;
  const source = outline.output;
  const p = "stream_infer.";
  const int64 = (name: string, value: bigint) => (w: ProtoWriter) => {
    const raw = new Uint8Array(8);
    new DataView(raw.buffer).setBigInt64(0, value, true);
    w.int(1, 1).int(2, 7).string(8, name).raw(9, raw); // dims [1], INT64, name, raw_data
  };
  const node =
    (op: string, inputs: string[], outputs: string[], attrs: [string, number][] = []) =>
    (w: ProtoWriter) => {
      for (const i of inputs) w.string(1, i);
      for (const o of outputs) w.string(2, o);
      w.string(3, `${p}${op}_${outputs[0]}`).string(4, op);
      for (const [name, i] of attrs) w.message(5, (a) => a.string(1, name).int(3, i).int(20, 2));
    };
  const output = (name: string, elemType: number) => (w: ProtoWriter) =>
    w.string(1, name).message(2, (t) => t.message(1, (tt) => tt.int(1, elemType)));
  const graph = new ProtoWriter()
    .message(1, node("Slice", [source, `${p}zero`, `${p}four`, `${p}one`], [COMPACT_BOXES]))
    .message(1, node("Slice", [source, `${p}four`, `${p}end`, `${p}one`], [`${p}class_scores`]))
    .message(
      1,
      node("ArgMax", [`${p}class_scores`], [`${p}argmax`], [["axis", 1], ["keepdims", 1]]),
    )
    .message(
      1,
      node("GatherElements", [`${p}class_scores`, `${p}argmax`], [COMPACT_SCORES], [["axis", 1]]),
    )
    .message(1, node("Cast", [`${p}argmax`], [COMPACT_CLASSES], [["to", 6]]))
    .message(5, int64(`${p}zero`, 0n))
    .message(5, int64(`${p}one`, 1n))
    .message(5, int64(`${p}four`, 4n))
    .message(5, int64(`${p}end`, 0x7fffffffffffffffn))
    .message(12, output(COMPACT_BOXES, 1))
    .message(12, output(COMPACT_SCORES, 1))
    .message(12, output(COMPACT_CLASSES, 6));
  const extra = new ProtoWriter().raw(7, graph.bytes).bytes;
  const out = new Uint8Array(model.length + extra.length);
  out.set(model);
  out.set(extra, model.length);
  return out;
}
