// In which order the tuner times an op's candidates when the budget may run out first.
// Two ideas, both from the on-device tuning literature (nn-JIT.web, Jia et al. 2024; TVM's
// transfer learning across workloads): what was fast on this device for other shapes of the
// same op is likely fast again, so candidates that already did well go first; and candidates
// nobody has timed yet are visited spread over the declared list (bit-reversed order), so a
// short budget still samples every structural family instead of the first few neighbours.

/**
 * The order to time `count` candidates in: the default first, then candidates with a prior
 * (their median time relative to the default on other shapes, lower is better) best first,
 * then the rest in bit-reversed declaration order.
 */
export function searchOrder(
  count: number,
  defaultIndex: number,
  priors: ReadonlyMap<number, number>,
): number[] {
  const rest = spreadOrder(count).filter((i) => i !== defaultIndex);
  const known = rest.filter((i) => priors.has(i)).sort((a, b) => (priors.get(a) ?? 0) - (priors.get(b) ?? 0));
  const unknown = rest.filter((i) => !priors.has(i));
  return [defaultIndex, ...known, ...unknown];
}

/** 0 … count−1 in bit-reversed order of ⌈log2 count⌉ bits (0, n/2, n/4, 3n/4, …), skipping ≥ count. */
export function spreadOrder(count: number): number[] {
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(1, count))));
  const order: number[] = [];
  for (let i = 0; i < 2 ** bits; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    if (r < count) order.push(r);
  }
  return order;
}
