// The instructions the kernels use, as one table: name, encoding, operand and result types, and
// immediates. Opcode numbers are those of the WebAssembly Core Specification 2.0 (§5.4
// "Instructions"; SIMD under the 0xFD prefix), the relaxed-SIMD proposal (0xFD 0x100–0x113)
// and the threads proposal (0xFE prefix). The encoder checks operand types against this table
// and the disassembler reads it backwards, so the two cannot disagree.

/** A value type, in the table's one-letter shorthand: i32, i64, f32, f64, v128. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** Binary code of each value type. */
export const VALTYPE_CODE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** Immediates an instruction carries after its opcode. */
export type Immediate = 'none' | 'mem' | 'lane' | 'memlane' | 'shuffle' | 'zero';

/** One row of the instruction table. */
export interface OpInfo {
  /** Text-format name, e.g. `i32x4.dot_i16x8_s`. */
  name: string;
  /** Prefix byte (0xFD SIMD, 0xFE atomics) or undefined for one-byte opcodes. */
  prefix: number | undefined;
  /** Opcode (LEB128 after a prefix). */
  code: number;
  /** Operand types, first pushed first. */
  params: ValType[];
  /** Result types. */
  results: ValType[];
  /** Immediates. */
  imm: Immediate;
  /** log2 of the natural alignment (memory instructions). */
  align: number;
}

const T: Record<string, ValType> = { i: 'i32', l: 'i64', f: 'f32', d: 'f64', v: 'v128' };
const types = (s: string): ValType[] => [...s].map((c) => T[c] as ValType);

type Row = readonly [name: string, code: number, sig: string, imm?: Immediate, align?: number];

// Signatures are "params:results" in the shorthand i/l/f/d/v.
const PLAIN: Row[] = [
  ['unreachable', 0x00, ':'],
  ['nop', 0x01, ':'],
  ['i32.load', 0x28, 'i:i', 'mem', 2],
  ['f32.load', 0x2a, 'i:f', 'mem', 2],
  ['i32.load8_s', 0x2c, 'i:i', 'mem', 0],
  ['i32.load8_u', 0x2d, 'i:i', 'mem', 0],
  ['i32.load16_s', 0x2e, 'i:i', 'mem', 1],
  ['i32.load16_u', 0x2f, 'i:i', 'mem', 1],
  ['i32.store', 0x36, 'ii:', 'mem', 2],
  ['f32.store', 0x38, 'if:', 'mem', 2],
  ['i32.store8', 0x3a, 'ii:', 'mem', 0],
  ['i32.store16', 0x3b, 'ii:', 'mem', 1],
  ['memory.size', 0x3f, ':i', 'zero'],
  ['i32.eqz', 0x45, 'i:i'],
  ['i32.eq', 0x46, 'ii:i'],
  ['i32.ne', 0x47, 'ii:i'],
  ['i32.lt_s', 0x48, 'ii:i'],
  ['i32.lt_u', 0x49, 'ii:i'],
  ['i32.gt_s', 0x4a, 'ii:i'],
  ['i32.gt_u', 0x4b, 'ii:i'],
  ['i32.le_s', 0x4c, 'ii:i'],
  ['i32.le_u', 0x4d, 'ii:i'],
  ['i32.ge_s', 0x4e, 'ii:i'],
  ['i32.ge_u', 0x4f, 'ii:i'],
  ['f32.eq', 0x5b, 'ff:i'],
  ['f32.ne', 0x5c, 'ff:i'],
  ['f32.lt', 0x5d, 'ff:i'],
  ['f32.gt', 0x5e, 'ff:i'],
  ['f32.le', 0x5f, 'ff:i'],
  ['f32.ge', 0x60, 'ff:i'],
  ['i32.clz', 0x67, 'i:i'],
  ['i32.ctz', 0x68, 'i:i'],
  ['i32.popcnt', 0x69, 'i:i'],
  ['i32.add', 0x6a, 'ii:i'],
  ['i32.sub', 0x6b, 'ii:i'],
  ['i32.mul', 0x6c, 'ii:i'],
  ['i32.div_s', 0x6d, 'ii:i'],
  ['i32.div_u', 0x6e, 'ii:i'],
  ['i32.rem_s', 0x6f, 'ii:i'],
  ['i32.rem_u', 0x70, 'ii:i'],
  ['i32.and', 0x71, 'ii:i'],
  ['i32.or', 0x72, 'ii:i'],
  ['i32.xor', 0x73, 'ii:i'],
  ['i32.shl', 0x74, 'ii:i'],
  ['i32.shr_s', 0x75, 'ii:i'],
  ['i32.shr_u', 0x76, 'ii:i'],
  ['f32.abs', 0x8b, 'f:f'],
  ['f32.neg', 0x8c, 'f:f'],
  ['f32.ceil', 0x8d, 'f:f'],
  ['f32.floor', 0x8e, 'f:f'],
  ['f32.trunc', 0x8f, 'f:f'],
  ['f32.nearest', 0x90, 'f:f'],
  ['f32.sqrt', 0x91, 'f:f'],
  ['f32.add', 0x92, 'ff:f'],
  ['f32.sub', 0x93, 'ff:f'],
  ['f32.mul', 0x94, 'ff:f'],
  ['f32.div', 0x95, 'ff:f'],
  ['f32.min', 0x96, 'ff:f'],
  ['f32.max', 0x97, 'ff:f'],
  ['f32.copysign', 0x98, 'ff:f'],
  ['i32.trunc_f32_s', 0xa8, 'f:i'],
  ['f32.convert_i32_s', 0xb2, 'i:f'],
  ['f32.convert_i32_u', 0xb3, 'i:f'],
  ['i32.reinterpret_f32', 0xbc, 'f:i'],
  ['f32.reinterpret_i32', 0xbe, 'i:f'],
];

const SIMD: Row[] = [
  ['v128.load', 0x00, 'i:v', 'mem', 4],
  ['v128.load8x8_s', 0x01, 'i:v', 'mem', 3],
  ['v128.load8x8_u', 0x02, 'i:v', 'mem', 3],
  ['v128.load16x4_s', 0x03, 'i:v', 'mem', 3],
  ['v128.load16x4_u', 0x04, 'i:v', 'mem', 3],
  ['v128.load8_splat', 0x07, 'i:v', 'mem', 0],
  ['v128.load16_splat', 0x08, 'i:v', 'mem', 1],
  ['v128.load32_splat', 0x09, 'i:v', 'mem', 2],
  ['v128.load64_splat', 0x0a, 'i:v', 'mem', 3],
  ['v128.store', 0x0b, 'iv:', 'mem', 4],
  ['i8x16.shuffle', 0x0d, 'vv:v', 'shuffle'],
  ['i8x16.swizzle', 0x0e, 'vv:v'],
  ['i8x16.splat', 0x0f, 'i:v'],
  ['i16x8.splat', 0x10, 'i:v'],
  ['i32x4.splat', 0x11, 'i:v'],
  ['f32x4.splat', 0x13, 'f:v'],
  ['i8x16.extract_lane_s', 0x15, 'v:i', 'lane'],
  ['i8x16.extract_lane_u', 0x16, 'v:i', 'lane'],
  ['i16x8.extract_lane_s', 0x18, 'v:i', 'lane'],
  ['i16x8.extract_lane_u', 0x19, 'v:i', 'lane'],
  ['i32x4.extract_lane', 0x1b, 'v:i', 'lane'],
  ['i32x4.replace_lane', 0x1c, 'vi:v', 'lane'],
  ['f32x4.extract_lane', 0x1f, 'v:f', 'lane'],
  ['f32x4.replace_lane', 0x20, 'vf:v', 'lane'],
  ['i8x16.eq', 0x23, 'vv:v'],
  ['i32x4.eq', 0x37, 'vv:v'],
  ['i32x4.gt_s', 0x3b, 'vv:v'],
  ['f32x4.eq', 0x41, 'vv:v'],
  ['f32x4.lt', 0x43, 'vv:v'],
  ['f32x4.gt', 0x44, 'vv:v'],
  ['f32x4.le', 0x45, 'vv:v'],
  ['f32x4.ge', 0x46, 'vv:v'],
  ['v128.not', 0x4d, 'v:v'],
  ['v128.and', 0x4e, 'vv:v'],
  ['v128.andnot', 0x4f, 'vv:v'],
  ['v128.or', 0x50, 'vv:v'],
  ['v128.xor', 0x51, 'vv:v'],
  ['v128.bitselect', 0x52, 'vvv:v'],
  ['v128.any_true', 0x53, 'v:i'],
  ['v128.load32_lane', 0x56, 'iv:v', 'memlane', 2],
  ['v128.store64_lane', 0x5b, 'iv:', 'memlane', 3],
  ['v128.load32_zero', 0x5c, 'i:v', 'mem', 2],
  ['v128.load64_zero', 0x5d, 'i:v', 'mem', 3],
  ['i8x16.narrow_i16x8_s', 0x65, 'vv:v'],
  ['i8x16.narrow_i16x8_u', 0x66, 'vv:v'],
  ['f32x4.ceil', 0x67, 'v:v'],
  ['f32x4.floor', 0x68, 'v:v'],
  ['f32x4.trunc', 0x69, 'v:v'],
  ['f32x4.nearest', 0x6a, 'v:v'],
  ['i8x16.shl', 0x6b, 'vi:v'],
  ['i8x16.shr_s', 0x6c, 'vi:v'],
  ['i8x16.shr_u', 0x6d, 'vi:v'],
  ['i8x16.add', 0x6e, 'vv:v'],
  ['i8x16.sub', 0x71, 'vv:v'],
  ['i16x8.extadd_pairwise_i8x16_s', 0x7c, 'v:v'],
  ['i16x8.extadd_pairwise_i8x16_u', 0x7d, 'v:v'],
  ['i32x4.extadd_pairwise_i16x8_s', 0x7e, 'v:v'],
  ['i32x4.extadd_pairwise_i16x8_u', 0x7f, 'v:v'],
  ['i16x8.narrow_i32x4_s', 0x85, 'vv:v'],
  ['i16x8.extend_low_i8x16_s', 0x87, 'v:v'],
  ['i16x8.extend_high_i8x16_s', 0x88, 'v:v'],
  ['i16x8.extend_low_i8x16_u', 0x89, 'v:v'],
  ['i16x8.extend_high_i8x16_u', 0x8a, 'v:v'],
  ['i16x8.shl', 0x8b, 'vi:v'],
  ['i16x8.shr_s', 0x8c, 'vi:v'],
  ['i16x8.shr_u', 0x8d, 'vi:v'],
  ['i16x8.add', 0x8e, 'vv:v'],
  ['i16x8.sub', 0x91, 'vv:v'],
  ['i16x8.mul', 0x95, 'vv:v'],
  ['i32x4.extend_low_i16x8_s', 0xa7, 'v:v'],
  ['i32x4.extend_high_i16x8_s', 0xa8, 'v:v'],
  ['i32x4.extend_low_i16x8_u', 0xa9, 'v:v'],
  ['i32x4.extend_high_i16x8_u', 0xaa, 'v:v'],
  ['i32x4.shl', 0xab, 'vi:v'],
  ['i32x4.shr_s', 0xac, 'vi:v'],
  ['i32x4.shr_u', 0xad, 'vi:v'],
  ['i32x4.add', 0xae, 'vv:v'],
  ['i32x4.sub', 0xb1, 'vv:v'],
  ['i32x4.mul', 0xb5, 'vv:v'],
  ['i32x4.min_s', 0xb6, 'vv:v'],
  ['i32x4.max_s', 0xb8, 'vv:v'],
  ['i32x4.dot_i16x8_s', 0xba, 'vv:v'],
  ['f32x4.abs', 0xe0, 'v:v'],
  ['f32x4.neg', 0xe1, 'v:v'],
  ['f32x4.sqrt', 0xe3, 'v:v'],
  ['f32x4.add', 0xe4, 'vv:v'],
  ['f32x4.sub', 0xe5, 'vv:v'],
  ['f32x4.mul', 0xe6, 'vv:v'],
  ['f32x4.div', 0xe7, 'vv:v'],
  ['f32x4.min', 0xe8, 'vv:v'],
  ['f32x4.max', 0xe9, 'vv:v'],
  ['f32x4.pmin', 0xea, 'vv:v'],
  ['f32x4.pmax', 0xeb, 'vv:v'],
  ['i32x4.trunc_sat_f32x4_s', 0xf8, 'v:v'],
  ['f32x4.convert_i32x4_s', 0xfa, 'v:v'],
  ['f32x4.convert_i32x4_u', 0xfb, 'v:v'],
  // Relaxed SIMD (results may differ across CPUs where the proposal allows it; the kernels only
  // use inputs on which every lowering agrees, e.g. a 7-bit unsigned operand of the dot).
  ['i8x16.relaxed_swizzle', 0x100, 'vv:v'],
  ['f32x4.relaxed_madd', 0x105, 'vvv:v'],
  ['f32x4.relaxed_nmadd', 0x106, 'vvv:v'],
  ['i16x8.relaxed_dot_i8x16_i7x16_s', 0x112, 'vv:v'],
  ['i32x4.relaxed_dot_i8x16_i7x16_add_s', 0x113, 'vvv:v'],
];

const ATOMIC: Row[] = [
  ['memory.atomic.notify', 0x00, 'ii:i', 'mem', 2],
  ['memory.atomic.wait32', 0x01, 'iil:i', 'mem', 2],
  ['i32.atomic.load', 0x10, 'i:i', 'mem', 2],
  ['i32.atomic.store', 0x17, 'ii:', 'mem', 2],
  ['i32.atomic.rmw.add', 0x1e, 'ii:i', 'mem', 2],
];

function rows(list: Row[], prefix: number | undefined): OpInfo[] {
  return list.map(([name, code, sig, imm = 'none', align = 0]) => {
    const [p = '', r = ''] = sig.split(':');
    return { name, prefix, code, params: types(p), results: types(r), imm, align };
  });
}

/** Every instruction the encoder emits, by name. */
export const OPS: ReadonlyMap<string, OpInfo> = new Map(
  [...rows(PLAIN, undefined), ...rows(SIMD, 0xfd), ...rows(ATOMIC, 0xfe)].map((o) => [o.name, o]),
);

/** Names of the relaxed-SIMD instructions (a module using one needs the feature). */
export const RELAXED_OPS: ReadonlySet<string> = new Set(
  SIMD.filter(([, code]) => code >= 0x100).map(([name]) => name),
);

/** Control and variable instructions, encoded by the function builder itself. */
export const CONTROL = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  v128Const: 0x0c, // after the 0xFD prefix
  emptyBlock: 0x40,
} as const;
