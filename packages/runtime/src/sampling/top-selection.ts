// Bounded best-k selection: the k largest values of a vector in the sampler's order (value
// descending, ties by lower index), in O(V + k log k · log(V/k)) with a size-k min-heap.

/** A reusable selector of the k best entries of a vector. */
export class TopSelection {
  private vals = new Float64Array(0);
  private ids = new Int32Array(0);
  private out = new Int32Array(0);

  /**
   * The indices of the (up to) k best entries of `values`, best first, skipping indices whose
   * `mask` byte is set; the returned view is overwritten by the next call.
   */
  select(values: ArrayLike<number>, k: number, mask?: Uint8Array): Int32Array {
    if (this.vals.length < k) {
      this.vals = new Float64Array(k);
      this.ids = new Int32Array(k);
      this.out = new Int32Array(k);
    }
    const vals = this.vals;
    const ids = this.ids;
    const n = values.length;
    let size = 0;
    let i = 0;
    // Fill phase: the first k eligible entries.
    for (; i < n && size < k; i++) {
      if (mask !== undefined && mask[i] !== 0) continue;
      vals[size] = values[i] as number;
      ids[size] = i;
      siftUp(vals, ids, size);
      size++;
    }
    // Scan phase: entries come in increasing index, so one beats the root (the worst kept,
    // lowest value then highest index) exactly when its value is strictly larger.
    if (size === k && k > 0) {
      let root = vals[0] as number;
      if (mask === undefined) {
        for (; i < n; i++) {
          const v = values[i] as number;
          if (v > root) {
            vals[0] = v;
            ids[0] = i;
            siftDown(vals, ids, 0, k);
            root = vals[0] as number;
          }
        }
      } else {
        for (; i < n; i++) {
          const v = values[i] as number;
          if (v > root && mask[i] === 0) {
            vals[0] = v;
            ids[0] = i;
            siftDown(vals, ids, 0, k);
            root = vals[0] as number;
          }
        }
      }
    }
    // Drain worst-first into the output from its end.
    const out = this.out;
    for (let left = size; left > 0; left--) {
      out[left - 1] = ids[0] as number;
      vals[0] = vals[left - 1] as number;
      ids[0] = ids[left - 1] as number;
      siftDown(vals, ids, 0, left - 1);
    }
    return out.subarray(0, size);
  }
}

/** True when entry a ranks below entry b (lower value, or equal value and higher index). */
function worse(vals: Float64Array, ids: Int32Array, a: number, b: number): boolean {
  const va = vals[a] as number;
  const vb = vals[b] as number;
  return va < vb || (va === vb && (ids[a] as number) > (ids[b] as number));
}

function swap(vals: Float64Array, ids: Int32Array, a: number, b: number): void {
  const v = vals[a] as number;
  vals[a] = vals[b] as number;
  vals[b] = v;
  const t = ids[a] as number;
  ids[a] = ids[b] as number;
  ids[b] = t;
}

function siftUp(vals: Float64Array, ids: Int32Array, at: number): void {
  let j = at;
  while (j > 0) {
    const parent = (j - 1) >> 1;
    if (!worse(vals, ids, j, parent)) return;
    swap(vals, ids, j, parent);
    j = parent;
  }
}

function siftDown(vals: Float64Array, ids: Int32Array, at: number, size: number): void {
  let j = at;
  for (;;) {
    const l = 2 * j + 1;
    if (l >= size) return;
    const r = l + 1;
    const c = r < size && worse(vals, ids, r, l) ? r : l;
    if (!worse(vals, ids, c, j)) return;
    swap(vals, ids, c, j);
    j = c;
  }
}
