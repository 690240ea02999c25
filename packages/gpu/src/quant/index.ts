export { roundActivationsQ8 } from './activations-q8.ts';
export {
  checkedLayout,
  dequantize,
  isQuantType,
  QUANT_TYPES,
  type QuantTypeName,
  scaleMinK4,
} from './dequantize.ts';
export {
  type GgmlTypeInfo,
  type GgmlTypeName,
  ggmlRowBytes,
  ggmlType,
  ggmlTypeById,
} from './ggml-types.ts';
export {
  bf16BitsToF32,
  f16BitsToF32,
  f32Bits,
  f32FromBits,
  f32ToBf16Bits,
  f32ToF16Bits,
  roundToF16,
} from './half.ts';
export { quantize } from './quantize.ts';
