// GGML type ids a GGUF file may name but Ruminate has no layout for (ggml `ggml_type`,
// listed in ggml-org/ggml docs/gguf.md), so errors can say which type a file uses.

import { RuminateError } from '@ruminate/errors';
import { type GgmlTypeInfo, ggmlTypeById } from '@ruminate/gpu';

const unsupportedNames: Record<number, string> = {
  4: 'q4_2 (removed from ggml)',
  5: 'q4_3 (removed from ggml)',
  16: 'iq2_xxs',
  17: 'iq2_xs',
  18: 'iq3_xxs',
  19: 'iq1_s',
  20: 'iq4_nl',
  21: 'iq3_s',
  22: 'iq2_s',
  23: 'iq4_xs',
  29: 'iq1_m',
  31: 'q4_0_4_4 (removed from GGUF)',
  32: 'q4_0_4_8 (removed from GGUF)',
  33: 'q4_0_8_8 (removed from GGUF)',
  34: 'tq1_0',
  35: 'tq2_0',
  39: 'mxfp4',
};

/** The layout of tensor type `id`, or a `gguf-unsupported` error naming the type and tensor. */
export function tensorType(id: number, tensor: string, file: string): GgmlTypeInfo {
  const t = ggmlTypeById(id);
  if (t) return t;
  const known = unsupportedNames[id];
  throw new RuminateError(
    'gguf-unsupported',
    known
      ? `${file}: tensor '${tensor}' has type ${known} (ggml type ${id}), which Ruminate cannot read. Use a file quantized as F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K or Q6_K (e.g. Q4_K_M).`
      : `${file}: tensor '${tensor}' has ggml type id ${id}, which is not a known ggml type. The file is corrupt or from a newer ggml.`,
  );
}
