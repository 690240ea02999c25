// Fused projections split into the tensors the WebGPU graph binds one by one: a file's
// `attn_qkv` (any architecture, llama.cpp `create_tensor_qkv`) becomes attn_q, attn_k and
// attn_v, and Phi-3's `ffn_up` (gate rows, then up rows) becomes ffn_gate and ffn_up. Every GGUF
// type stores a matrix row after row in whole blocks, so each part is a byte range of the file.
import { RuminateError } from '@ruminate/errors';
import type { GgufTensorInfo } from '../gguf/types.ts';
import type { Hparams } from './hparams.ts';
import { fusedQkvName, queryWidth } from './tensor-names.ts';

/** `t`'s rows split into consecutive tensors named `names`, of `rows[i]` rows each (1-D: elements). */
function splitRows(t: GgufTensorInfo, names: readonly string[], rows: readonly number[]): GgufTensorInfo[] {
  const matrix = t.dims.length > 1;
  const cols = matrix ? (t.dims[0] as number) : 1;
  const total = rows.reduce((a, b) => a + b, 0);
  const rowBytes = t.bytes / total;
  if (!Number.isInteger(rowBytes) || t.elements !== cols * total) {
    throw new RuminateError(
      'gguf-invalid',
      `Tensor ${t.name} [${t.dims.join(', ')}] does not split into ${rows.join(' + ')} rows.`,
    );
  }
  let at = 0;
  return names.map((name, i) => {
    const n = rows[i] as number;
    const part = {
      ...t,
      name,
      dims: matrix ? [cols, n] : [n],
      elements: cols * n,
      offset: t.offset + at * rowBytes,
      bytes: n * rowBytes,
    };
    at += n;
    return part;
  });
}

/** The file's tensors with every fused projection split into its parts (the others unchanged, in order). */
export function splitFusedTensors<T extends GgufTensorInfo>(
  hp: Hparams,
  tensors: readonly T[],
): GgufTensorInfo[] {
  const nq = queryWidth(hp);
  const nkv = hp.nKvHeads * hp.headDim;
  const fused = new Map<string, (t: T) => GgufTensorInfo[]>();
  for (let l = 0; l < hp.nLayers; l++) {
    const p = `blk.${l}.`;
    const qkv = ['attn_q', 'attn_k', 'attn_v'];
    fused.set(fusedQkvName(l), (t) =>
      splitRows(
        t,
        qkv.map((n) => `${p}${n}.weight`),
        [nq, nkv, nkv],
      ),
    );
    fused.set(`${p}attn_qkv.bias`, (t) =>
      splitRows(
        t,
        qkv.map((n) => `${p}${n}.bias`),
        [nq, nkv, nkv],
      ),
    );
    if (hp.arch === 'phi3') {
      fused.set(`${p}ffn_up.weight`, (t) =>
        splitRows(t, [`${p}ffn_gate.weight`, `${p}ffn_up.weight`], [hp.nFf, hp.nFf]),
      );
    }
  }
  return tensors.flatMap((t) => fused.get(t.name)?.(t) ?? [t]);
}
