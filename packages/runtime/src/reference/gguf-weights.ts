// Reads every tensor of a GGUF file through the CPU dequantizer, for the float64 reference.
import { RuminateError } from '@ruminate/errors';
import { dequantize, isQuantType } from '@ruminate/gpu';
import type { ByteSource, GgufHeader } from '../gguf/types.ts';
import type { ReferenceTensor, ReferenceTensorLookup } from './forward.ts';

/**
 * Dequantized tensors of a parsed GGUF file, keyed by name. With `q8Activations` (what the
 * device's KernelContext says), q4_0 matrices round their input activations to 8 bits as the
 * GPU matmul then does (`ReferenceTensor.roundsInput`); MoE expert stacks (3-D) do not, as the
 * expert matmul keeps f32 activations. `q8Activations: 'quantized'` models the WebAssembly
 * backend, where every matrix of a quantized type (not f32, f16, bf16) rounds its input, MoE
 * expert stacks included (its expert matmuls are the dense kernels over each expert's slice).
 */
export async function readReferenceWeights(
  header: GgufHeader,
  source: ByteSource,
  opts: { q8Activations?: boolean | 'quantized' } = {},
): Promise<{ tensors: Map<string, ReferenceTensor>; lookup: ReferenceTensorLookup }> {
  const tensors = new Map<string, ReferenceTensor>();
  for (const t of header.tensors) {
    if (!isQuantType(t.type.name)) {
      throw new RuminateError(
        'gguf-unsupported',
        `Tensor ${t.name} has type ${t.type.name}, which has no CPU codec.`,
      );
    }
    const bytes = await source.read(t.offset, t.bytes);
    const rounding =
      opts.q8Activations === 'quantized'
        ? !['f32', 'f16', 'bf16'].includes(t.type.name)
        : opts.q8Activations === true && t.type.name === 'q4_0';
    const roundsInput =
      rounding && (t.dims.length === 2 || (opts.q8Activations === 'quantized' && t.dims.length === 3));
    tensors.set(t.name, {
      dims: t.dims,
      data: dequantize(t.type.name, bytes, t.elements),
      ...(roundsInput ? { roundsInput } : {}),
    });
  }
  return { tensors, lookup: (name) => tensors.get(name) };
}
