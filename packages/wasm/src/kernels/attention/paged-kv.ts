// The paged KV-cache layout the wasm kernels share with the WebGPU ops (packages/gpu
// ops/attention/paged-kv-layout.ts; vLLM's PagedAttention, Kwon et al. 2023): per layer a K pool
// and a V pool f32 [numPages][PAGE_TOKENS][nKvHeads][headDim]; a block table u32
// [numSlots][maxPages] maps (slot, position / PAGE_TOKENS) to a physical page; each row's
// (slot, position) is a u32 pair of the row-info array.
import type { FunctionBuilder, Local } from '../../encoder/index.ts';

/** Tokens per KV page (the WebGPU layout's PAGE_TOKENS). */
export const PAGE_TOKENS = 16;

/** Pieces of a head row of `headDim` floats: byte offset and whether a full v128 (else 2 floats). */
export function headPieces(headDim: number): { offset: number; full: boolean }[] {
  const pieces: { offset: number; full: boolean }[] = [];
  for (let d = 0; d + 4 <= headDim; d += 4) pieces.push({ offset: 4 * d, full: true });
  if (headDim % 4) pieces.push({ offset: 4 * (headDim - 2), full: false });
  return pieces;
}

/** Pushes the v128 at ptr + offset (a full vector, or 2 floats and zeros). */
export function emitLoadPiece(b: FunctionBuilder, ptr: Local, offset: number, full: boolean): void {
  b.get(ptr).op(full ? 'v128.load' : 'v128.load64_zero', offset, 2);
}

/** Pops (address, v128) and stores the piece at address + offset (4 floats, or the low 2). */
export function emitStorePiece(b: FunctionBuilder, offset: number, full: boolean): void {
  if (full) b.op('v128.store', offset, 2);
  else b.op('v128.store64_lane', offset, 0);
}
