// Reads every tensor of a GGUF file through the CPU dequantizer, for the float64 reference.
import { RuminateError } from '@ruminate/errors';
import { dequantize, isQuantType } from '@ruminate/gpu';
import type { ByteSource, GgufHeader } from '../gguf/types.ts';
import type { ReferenceTensor, ReferenceTensorLookup } from './forward.ts';

/**
 * Dequantized tensors of a parsed GGUF file, keyed by name. With `q8Activations` (what the
 * device's KernelContext says), q4_0 matrices round their input activations to 8 bits as the
 * GPU matmul then does (`ReferenceTensor.roundsInput`); MoE expert stacks (3-D) do not, as the
 * expert matmul keeps f32 activations.
 */
export async function readReferenceWeights(
  header: GgufHeader,
  source: ByteSource,
  opts: { q8Activations?: boolean } = {},
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
    const roundsInput = opts.q8Activations === true && t.type.name === 'q4_0' && t.dims.length === 2;
    tensors.set(t.name, {
      dims: t.dims,
      data: dequantize(t.type.name, bytes, t.elements),
      ...(roundsInput ? { roundsInput } : {}),
    });
  }
  return { tensors, lookup: (name) => tensors.get(name) };
}
