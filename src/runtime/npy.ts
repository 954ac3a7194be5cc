/**
 * NumPy `.npy` files (format versions 1–3), bytes in and bytes out: the header's element type,
 * shape and order, and the raw little-endian element bytes, which `dataFromBytes` turns into a
 * tensor's data (and `tensorBytes` back). Platform-neutral: reading files is the caller's job.
 */
import { DTYPES, dtypeOfNpy, tensorBytes, type DType, type Tensor } from "./tensor.js";

export interface NpyFile {
  /** numpy's type string as written, with its byte-order mark: "<f4", "|b1", … */
  descr: string;
  /** fusec's dtype for it, or undefined when fusec holds no such type. */
  dtype: DType | undefined;
  shape: number[];
  fortranOrder: boolean;
  /** The element bytes (little-endian); empty when `dtype` is undefined. */
  data: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parses `.npy` bytes; throws an Error whose message says what is wrong with them. */
export function parseNpy(bytes: Uint8Array): NpyFile {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error("not a .npy file (bad magic bytes)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  const headerStart = wide ? 12 : 10;
  const dataStart = headerStart + (wide ? view.getUint32(8, true) : view.getUint16(8, true));
  if (dataStart > bytes.length) throw new Error("truncated .npy header");
  const header = new TextDecoder(major >= 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`malformed .npy header ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`malformed .npy shape (${shapeText})`);
  const dtype = dtypeOfNpy(descr);
  const file = { descr, dtype, shape, fortranOrder: fortran === "True", data: new Uint8Array(0) };
  if (!dtype) return file;
  if (descr.startsWith(">") && DTYPES[dtype].bytes > 1) throw new Error(`big-endian .npy data ("${descr}") is not supported`);
  const size = shape.reduce((a, b) => a * b, 1) * DTYPES[dtype].bytes;
  if (dataStart + size > bytes.length) throw new Error(`truncated .npy data (${size} bytes of ${descr} expected)`);
  return { ...file, data: bytes.subarray(dataStart, dataStart + size) };
}

/**
 * A `.npy` (version 1.0) file holding a tensor, C order; the header is padded so that the
 * data starts 64-byte aligned.
 */
export function encodeNpy(t: Tensor): Uint8Array {
  const info = DTYPES[t.dtype];
  const descr = `${info.bytes === 1 ? "|" : "<"}${info.npy}`;
  const dims = t.shape.length === 1 ? `${t.shape[0]},` : t.shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const head = new TextEncoder().encode(header);
  const body = tensorBytes(t);
  const out = new Uint8Array(10 + head.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(body, 10 + head.length);
  return out;
}
