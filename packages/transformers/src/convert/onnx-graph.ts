// A small builder of ONNX graphs and their ModelProto encoding. Field numbers are onnx.proto's
// (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto): ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto, TypeProto.Tensor, TensorShapeProto.
import { ProtoMessage } from './protobuf-writer.ts';

/** Element types this converter writes, as ONNX TensorProto.DataType. */
export const ONNX_TYPES = { float32: 1, uint8: 2, int64: 7, bool: 9, float16: 10 } as const;

/** An element type name. */
export type OnnxType = keyof typeof ONNX_TYPES;

/** A node attribute: an int, a float, a list of ints, or a string. */
export type OnnxAttribute = { i: number } | { f: number } | { ints: readonly number[] } | { s: string };

/** A graph input or output: name, type and shape (numbers, or names of symbolic dimensions). */
export interface OnnxValue {
  name: string;
  type: OnnxType;
  dims: readonly (number | string)[];
}

/** Raw data of an initializer: the element type decides how the bytes are read. */
export type OnnxData = Float32Array | BigInt64Array | Uint8Array | Uint16Array;

interface NodeRecord {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, OnnxAttribute>>;
  domain: string;
  name: string;
}

interface Initializer {
  name: string;
  type: OnnxType;
  dims: readonly number[];
  data: OnnxData;
}

/** A graph under construction: inputs, outputs, initializers and nodes in topological order. */
export class OnnxGraph {
  private readonly inputs: OnnxValue[] = [];
  private readonly outputs: OnnxValue[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: NodeRecord[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A name not used yet, built from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(value: OnnxValue): string {
    this.used.add(value.name);
    this.inputs.push(value);
    return value.name;
  }

  /** Declares a graph output (some node must write `value.name`). */
  output(value: OnnxValue): void {
    this.outputs.push(value);
  }

  /** Adds an initializer (a weight or a constant) and returns its name. */
  initializer(hint: string, type: OnnxType, dims: readonly number[], data: OnnxData): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, type, dims, data });
    return name;
  }

  /** A small int64 constant, shared between every use of the same values. */
  ints(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar}:${values.join(',')}`;
    const have = this.constants.get(key);
    if (have) return have;
    const name = this.initializer(
      'const_i64',
      'int64',
      scalar ? [] : [values.length],
      BigInt64Array.from(values, BigInt),
    );
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared between uses. */
  float(value: number): string {
    const key = `f32:${value}`;
    const have = this.constants.get(key);
    if (have) return have;
    const name = this.initializer('const_f32', 'float32', [], Float32Array.of(value));
    this.constants.set(key, name);
    return name;
  }

  /** Appends a node with one output (named `output`, or fresh from the op) and returns that output. */
  node(
    op: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    output?: string,
    domain = '',
  ): string {
    const out = output ?? this.fresh(op.toLowerCase());
    if (output) this.used.add(output);
    this.nodes.push({ op, inputs, outputs: [out], attributes, domain, name: this.fresh(`n_${op}`) });
    return out;
  }

  /** Appends a node with several outputs and returns them. */
  multi(
    op: string,
    inputs: readonly string[],
    count: number,
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
  ): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(op.toLowerCase()));
    this.nodes.push({ op, inputs, outputs: outs, attributes, domain: '', name: this.fresh(`n_${op}`) });
    return outs;
  }

  /** The ONNX ModelProto bytes of this graph. */
  encode(opts: {
    opsets: Readonly<Record<string, number>>;
    producer: string;
    irVersion?: number;
  }): Uint8Array {
    const graph = new ProtoMessage();
    for (const n of this.nodes) graph.message(1, encodeNode(n));
    graph.string(2, 'main');
    for (const t of this.initializers) graph.message(5, encodeTensor(t));
    for (const v of this.inputs) graph.message(11, encodeValueInfo(v));
    for (const v of this.outputs) graph.message(12, encodeValueInfo(v));
    const model = new ProtoMessage();
    model.int(1, opts.irVersion ?? 8);
    model.string(2, opts.producer);
    for (const [domain, version] of Object.entries(opts.opsets)) {
      model.message(8, new ProtoMessage().string(1, domain).int(2, version));
    }
    model.message(7, graph);
    return model.finish();
  }
}

function encodeNode(n: NodeRecord): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  m.string(3, n.name);
  m.string(4, n.op);
  for (const [name, a] of Object.entries(n.attributes)) m.message(5, encodeAttribute(name, a));
  if (n.domain) m.string(7, n.domain);
  return m;
}

/** AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, INTS 7. */
function encodeAttribute(name: string, a: OnnxAttribute): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if ('i' in a) return m.int(3, a.i).int(20, 2);
  if ('f' in a) return m.float(2, a.f).int(20, 1);
  if ('s' in a) return m.string(4, a.s).int(20, 3);
  return m.packedInts(8, a.ints).int(20, 7);
}

function encodeTensor(t: Initializer): ProtoMessage {
  const m = new ProtoMessage();
  m.packedInts(1, t.dims);
  m.int(2, ONNX_TYPES[t.type]);
  m.string(8, t.name);
  m.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return m;
}

function encodeValueInfo(v: OnnxValue): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoMessage().int(1, d) : new ProtoMessage().string(2, d));
  }
  const tensor = new ProtoMessage().int(1, ONNX_TYPES[v.type]).message(2, shape);
  return new ProtoMessage().string(1, v.name).message(2, new ProtoMessage().message(1, tensor));
}
