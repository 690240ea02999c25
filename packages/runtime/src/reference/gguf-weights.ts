// Reads every tensor of a GGUF file through the CPU dequantizer, for the float64 reference.
import { dequantize, isQuantType, RuminateError } from '@ruminate/gpu';
import type { ByteSource, GgufHeader } from '../gguf/types.ts';
import type { ReferenceTensor, ReferenceTensorLookup } from './forward.ts';

/** Dequantized tensors of a parsed GGUF file, keyed by name. */
export async function readReferenceWeights(
  header: GgufHeader,
  source: ByteSource,
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
    tensors.set(t.name, { dims: t.dims, data: dequantize(t.type.name, bytes, t.elements) });
  }
  return { tensors, lookup: (name) => tensors.get(name) };
}
