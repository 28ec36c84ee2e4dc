/**
 * A tiny hand-written protobuf encoder for ONNX models, so tests can build small models
 * without Python or the onnx package. Covers the subset tests need: ModelProto, GraphProto,
 * NodeProto (with int / float / ints / floats / string / tensor attributes), TensorProto
 * (float32 / int64 via raw_data) and ValueInfoProto (tensor types with fixed or named dims).
 *
 * @module
 */

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7 } as const;

/** A constant tensor (initializer or attribute value). */
export interface TensorSpec {
  /** Tensor name (required for initializers). */
  name?: string;
  /** Shape. */
  dims: readonly number[];
  /** Values: float32 for FLOAT, bigint/number for INT64. */
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: a tensor with element type and shape. */
export interface ValueInfoSpec {
  /** Value name. */
  name: string;
  /** Element type (default FLOAT). */
  elemType?: number;
  /** Shape: numbers for fixed dims, strings for symbolic ones. */
  shape: readonly (number | string)[];
}

/** A node attribute value. */
export type AttributeValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: TensorSpec };

/** One operator node. */
export interface NodeSpec {
  /** Operator type, e.g. "Add". */
  opType: string;
  /** Input value names. */
  inputs: readonly string[];
  /** Output value names. */
  outputs: readonly string[];
  /** Optional node name. */
  name?: string;
  /** Optional attributes by name. */
  attributes?: Record<string, AttributeValue>;
}

/** A graph. */
export interface GraphSpec {
  /** Graph name. */
  name?: string;
  /** Nodes, in topological order. */
  nodes: readonly NodeSpec[];
  /** Constant initializers. */
  initializers?: readonly TensorSpec[];
  /** Graph inputs. */
  inputs: readonly ValueInfoSpec[];
  /** Graph outputs. */
  outputs: readonly ValueInfoSpec[];
}

/** A model. */
export interface ModelSpec {
  /** The graph. */
  graph: GraphSpec;
  /** IR version (default 8). */
  irVersion?: number;
  /** Default-domain opset (default 13). */
  opset?: number;
  /** producer_name (default "stream-infer-tests"). */
  producer?: string;
  /** metadata_props. */
  metadata?: Record<string, string>;
}

const enc = new TextEncoder();

/** Growable byte writer with protobuf primitives. */
class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  #ensure(n: number) {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Unsigned varint; negative values are written as 64-bit two's complement (10 bytes). */
  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x = BigInt.asUintN(64, x);
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      out.push(byte);
    } while (x > 0n);
    return this.bytes(Uint8Array.from(out));
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** Varint field (wire type 0). */
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  /** 32-bit float field (wire type 5). */
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.tag(field, 5).bytes(b);
  }

  /** Length-delimited field (wire type 2). */
  lenDelim(field: number, payload: Uint8Array): this {
    return this.tag(field, 2).varint(payload.length).bytes(payload);
  }

  string(field: number, s: string): this {
    return this.lenDelim(field, enc.encode(s));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.lenDelim(field, w.finish());
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function writeTensor(w: Writer, t: TensorSpec): void {
  for (const d of t.dims) w.int(1, d); // dims (unpacked repeated int64 is accepted)
  const isFloat = t.data instanceof Float32Array;
  w.int(2, isFloat ? DataType.FLOAT : DataType.INT64); // data_type
  if (t.name) w.string(8, t.name); // name
  const raw = new Uint8Array(t.data.byteLength);
  const view = new DataView(raw.buffer);
  t.data.forEach((v: number | bigint, i: number) => {
    if (isFloat) view.setFloat32(i * 4, v as number, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  });
  w.lenDelim(9, raw); // raw_data (little-endian)
}

function writeValueInfo(w: Writer, v: ValueInfoSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    // TypeProto
    type.message(1, (tt) => { // TypeProto.Tensor
      tt.int(1, v.elemType ?? DataType.FLOAT);
      tt.message(2, (shape) => { // TensorShapeProto
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === "number") dim.int(1, d);
            else dim.string(2, d);
          });
        }
      });
    }));
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function writeAttribute(w: Writer, name: string, a: AttributeValue): void {
  w.string(1, name);
  if ("i" in a) w.int(3, a.i).int(20, ATTR.INT);
  else if ("f" in a) w.float(2, a.f).int(20, ATTR.FLOAT);
  else if ("s" in a) w.string(4, a.s).int(20, ATTR.STRING);
  else if ("ints" in a) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR.INTS);
  } else if ("floats" in a) {
    for (const v of a.floats) w.float(7, v);
    w.int(20, ATTR.FLOATS);
  } else {
    w.message(5, (t) => writeTensor(t, a.t)).int(20, ATTR.TENSOR);
  }
}

function writeNode(w: Writer, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) {
    w.message(5, (a) => writeAttribute(a, k, v));
  }
}

function writeGraph(w: Writer, g: GraphSpec): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name ?? "graph");
  for (const t of g.initializers ?? []) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/**
 * Serializes a model to ONNX protobuf bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeModel({
 *   graph: {
 *     nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
 *     inputs: [{ name: "x", shape: [1] }],
 *     outputs: [{ name: "y", shape: [1] }],
 *   },
 *   metadata: { names: "{0: 'a'}" },
 * });
 * ```
 */
export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion ?? 8); // ir_version
  w.string(2, m.producer ?? "stream-infer-tests"); // producer_name
  w.message(7, (g) => writeGraph(g, m.graph)); // graph
  w.message(8, (o) => o.string(1, "").int(2, m.opset ?? 13)); // opset_import
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    w.message(14, (e) => e.string(1, k).string(2, v)); // metadata_props
  }
  return w.finish();
}

/**
 * A model with input `images` `[1, 3, size, size]` whose output `output0` is `constant`
 * (shape `dims`), computed as `constant + 0 * mean(images)` so it depends on the input.
 *
 * @example
 * ```ts
 * const bytes = constantOutputModel(new Float32Array(7 * 2), [1, 7, 2], 8, { names: "{0: 'a'}" });
 * ```
 */
export function constantOutputModel(
  constant: Float32Array,
  dims: readonly number[],
  size: number,
  metadata?: Record<string, string>,
): Uint8Array {
  return encodeModel({
    metadata,
    graph: {
      name: "constant_yolo",
      nodes: [
        {
          opType: "ReduceMean",
          inputs: ["images"],
          outputs: ["mean"],
          attributes: { keepdims: { i: 0 } },
        },
        { opType: "Mul", inputs: ["mean", "zero"], outputs: ["nothing"] },
        { opType: "Add", inputs: ["table", "nothing"], outputs: ["output0"] },
      ],
      initializers: [
        { name: "zero", dims: [], data: new Float32Array([0]) },
        { name: "table", dims, data: constant },
      ],
      inputs: [{ name: "images", shape: [1, 3, size, size] }],
      outputs: [{ name: "output0", shape: dims }],
    },
  });
}
