// A float64 CPU model over the same paged KV layout as the GPU model
// (per layer K and V pools `[numPages][pageTokens][nKvHeads][headDim]`, block table
// `u32 [numSlots][maxPagesPerSeq]`): the engine runs unchanged on it, so engine behaviour
// (batching, forks, copy-on-write, prefix reuse) is tested without a GPU, and it is the
// oracle the GPU model is compared with.
import type { BackendMemory, ForwardPass, KvGeometry, ModelBackend, SampledToken } from '../model/backend.ts';
import type { Hparams } from '../model/hparams.ts';
import { isAllowed } from '../sampling/token-mask.ts';
import { ReferenceForward, type ReferenceKv, type ReferenceTensorLookup } from './forward.ts';
import { sampleRow } from './sample-row.ts';

/** The reference forward pass reading and writing K/V through a block table. */
export class CpuPagedBackend implements ModelBackend {
  private readonly net: ReferenceForward;
  private readonly geom: KvGeometry;
  private readonly rowWidth: number;
  private readonly pageWidth: number;
  private readonly k: Float64Array[];
  private readonly v: Float64Array[];
  private readonly table: Uint32Array;

  constructor(hp: Hparams, lookup: ReferenceTensorLookup, geom: KvGeometry) {
    this.net = new ReferenceForward(hp, lookup, { contextLength: geom.maxPagesPerSeq * geom.pageTokens });
    this.geom = geom;
    this.rowWidth = hp.nKvHeads * hp.headDim;
    this.pageWidth = geom.pageTokens * this.rowWidth;
    const pool = () => new Float64Array(geom.numPages * this.pageWidth).fill(Number.NaN);
    this.k = Array.from({ length: hp.nLayers }, pool);
    this.v = Array.from({ length: hp.nLayers }, pool);
    this.table = new Uint32Array(geom.numSlots * geom.maxPagesPerSeq);
  }

  async forward(pass: ForwardPass): Promise<SampledToken[]> {
    for (const { src, dst } of pass.copies) {
      for (const pools of [this.k, this.v]) {
        for (const p of pools)
          p.copyWithin(dst * this.pageWidth, src * this.pageWidth, (src + 1) * this.pageWidth);
      }
    }
    for (const slot of pass.dirtySlots) {
      const w = this.geom.maxPagesPerSeq;
      this.table.set(pass.blockTable.subarray(slot * w, (slot + 1) * w), slot * w);
    }
    const wanted = new Map(pass.sample.map((s) => [s.row, s]));
    const logitsOf = new Map<number, ArrayLike<number>>();
    pass.rows.forEach((row, i) => {
      const logits = this.net.forwardToken(row.token, row.position, this.kvOf(row.slot));
      if (wanted.has(i)) logitsOf.set(i, logits);
    });
    const out: SampledToken[] = [];
    for (const s of pass.sample) {
      let logits = logitsOf.get(s.row) as ArrayLike<number>;
      if (s.allowed) {
        const mask = await s.allowed();
        // Disallowed tokens at −∞: the reference's log-probabilities are then over the allowed set.
        logits = Float64Array.from(logits, (v, t) => (isAllowed(mask, t) ? v : Number.NEGATIVE_INFINITY));
      }
      out.push(sampleRow(logits, s));
    }
    return out;
  }

  memory(): BackendMemory {
    const bytesPerPage = 2 * this.k.length * this.pageWidth * 4;
    return { weightBytes: 0, kvBytes: bytesPerPage * this.geom.numPages, scratchBytes: 0, bytesPerPage };
  }

  destroy(): void {}

  private kvOf(slot: number): ReferenceKv {
    const at = (position: number) => {
      const page = this.table[
        slot * this.geom.maxPagesPerSeq + Math.floor(position / this.geom.pageTokens)
      ] as number;
      return page * this.pageWidth + (position % this.geom.pageTokens) * this.rowWidth;
    };
    return {
      write: (l, position, k, v) => {
        const o = at(position);
        (this.k[l] as Float64Array).set(k, o);
        (this.v[l] as Float64Array).set(v, o);
      },
      read: (l, position) => {
        const o = at(position);
        return {
          k: (this.k[l] as Float64Array).subarray(o, o + this.rowWidth),
          v: (this.v[l] as Float64Array).subarray(o, o + this.rowWidth),
        };
      },
    };
  }
}
