// A one-node ONNX model, C[m, n] = A[m, k] · B[k, n] with B as a float initializer,
// written directly as protobuf (field numbers from onnx/onnx.proto) so the benchmark
// needs no Python or ONNX tooling. Used to time onnxruntime-web's WebGPU MatMul.

/** Protobuf wire-format writer for the handful of field kinds ONNX needs. */
class Proto {
  private readonly parts: Uint8Array[] = [];

  private varint(v: number): void {
    const bytes: number[] = [];
    let x = v;
    while (x >= 0x80) {
      bytes.push((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    bytes.push(x);
    this.parts.push(Uint8Array.from(bytes));
  }

  /** A varint field (wire type 0). */
  int(field: number, v: number): this {
    this.varint(field * 8);
    this.varint(v);
    return this;
  }

  /** A length-delimited field (wire type 2): bytes, string or nested message. */
  bytes(field: number, data: Uint8Array | string | Proto): this {
    const raw =
      typeof data === 'string'
        ? new TextEncoder().encode(data)
        : data instanceof Proto
          ? data.finish()
          : data;
    this.varint(field * 8 + 2);
    this.varint(raw.length);
    this.parts.push(raw);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const FLOAT = 1;

function valueInfo(name: string, dims: number[]): Proto {
  const shape = new Proto();
  for (const d of dims) shape.bytes(1, new Proto().int(1, d));
  return new Proto().bytes(1, name).bytes(2, new Proto().bytes(1, new Proto().int(1, FLOAT).bytes(2, shape)));
}

/** ONNX bytes for C = A·B with A an [m, k] input and B the given [k, n] row-major weights. */
export function onnxMatmulModel(m: number, k: number, n: number, b: Float32Array): Uint8Array {
  const node = new Proto().bytes(1, 'A').bytes(1, 'B').bytes(2, 'C').bytes(3, 'matmul').bytes(4, 'MatMul');
  const init = new Proto().int(1, k).int(1, n).int(2, FLOAT).bytes(8, 'B');
  init.bytes(9, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  const graph = new Proto()
    .bytes(1, node)
    .bytes(2, 'matmul')
    .bytes(5, init)
    .bytes(11, valueInfo('A', [m, k]))
    .bytes(12, valueInfo('C', [m, n]));
  return new Proto()
    .int(1, 8)
    .bytes(2, 'ruminate-bench')
    .bytes(7, graph)
    .bytes(8, new Proto().bytes(1, '').int(2, 13))
    .finish();
}
