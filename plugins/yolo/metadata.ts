/**
 * Reads the metadata of an ONNX model (`ModelProto.metadata_props`) without decoding the graph,
 * with a minimal protobuf field walker that compact.ts also uses.
 *
 * @module
 */
import { InputError } from "../../mod.ts";

const METADATA_FIELD = 14; // ModelProto.metadata_props: repeated StringStringEntryProto
const utf8 = new TextDecoder();

/** Reads a base-128 varint at `pos`; returns [value, next position]. Exact up to 2^53. */
function varint(b: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) throw new InputError("ONNX: truncated varint");
    const byte = b[pos++];
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) return [value, pos];
    mul *= 128;
  }
  throw new InputError("ONNX: malformed varint");
}

/** One protobuf field: where it ends, and its value (varint) or payload `[start, end)`. */
export interface Field {
  field: number;
  wire: number;
  /** The value of a varint field (wire type 0), else 0. */
  value: number;
  /** Where the payload starts (for other than length-delimited fields: `end`). */
  start: number;
  /** Past the whole field. Not checked against the end of the message. */
  end: number;
}

/** Reads the header of one protobuf field at `pos` (and the value of a varint field). */
function fieldHeader(b: Uint8Array, pos: number, end: number): Field {
  const [tag, p] = varint(b, pos, end);
  const field = Math.floor(tag / 8);
  const wire = tag % 8;
  switch (wire) {
    case 0: {
      const [value, q] = varint(b, p, end);
      return { field, wire, value, start: q, end: q };
    }
    case 1:
      return { field, wire, value: 0, start: p + 8, end: p + 8 };
    case 2: {
      const [len, q] = varint(b, p, end);
      return { field, wire, value: 0, start: q, end: q + len };
    }
    case 5:
      return { field, wire, value: 0, start: p + 4, end: p + 4 };
    default:
      throw new InputError(`ONNX: unsupported protobuf wire type ${wire} (field ${field})`);
  }
}

/**
 * The fields of the message in `b[pos, end)`, in order. Stops at `end`; a field reaching past
 * `end` is still yielded (each caller decides what a truncated field means).
 */
export function* fields(b: Uint8Array, pos: number, end: number): Generator<Field> {
  while (pos < end) {
    const f = fieldHeader(b, pos, end);
    yield f;
    pos = f.end;
  }
}

/** The payload of a length-delimited field, as UTF-8 text. */
export function fieldText(b: Uint8Array, f: Field): string {
  return utf8.decode(b.subarray(f.start, f.end));
}

/** Decodes the StringStringEntryProto {key = 1, value = 2} in `b[pos, end)`. */
function metadataEntry(b: Uint8Array, pos: number, end: number): [string, string] {
  let key = "";
  let value = "";
  for (const f of fields(b, pos, end)) {
    if (f.wire !== 2) continue;
    if (f.end > end) throw new InputError("ONNX: truncated metadata entry");
    if (f.field === 1) key = fieldText(b, f);
    else if (f.field === 2) value = fieldText(b, f);
  }
  return [key, value];
}

/**
 * Reads the `metadata_props` (key/value strings) of a serialized ONNX ModelProto. Only the
 * top-level fields are walked: the graph and its tensors are skipped, not decoded.
 *
 * @throws {InputError} when the bytes are not a well-formed protobuf message.
 * @example
 * ```ts
 * import { parseNames, readOnnxMetadata } from "@stream-infer/stream-infer/plugins/yolo";
 * const meta = readOnnxMetadata(await Deno.readFile("./yolov8n.onnx"));
 * console.log(meta.imgsz, parseNames(meta.names ?? "{}").length);
 * ```
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields(bytes, 0, bytes.length)) {
    if (f.end > bytes.length) {
      throw new InputError(
        f.wire === 2 ? `ONNX: truncated field ${f.field}` : "ONNX: truncated message",
      );
    }
    if (f.field === METADATA_FIELD && f.wire === 2) {
      const [k, v] = metadataEntry(bytes, f.start, f.end);
      out[k] = v;
    }
  }
  return out;
}
