import { RuminateError } from '@ruminate/errors';
import { assertFitsWasm32, pagesFor } from './limits.ts';

/** A named byte range of the arena's memory. */
export interface Region {
  /** The name the region was planned under. */
  readonly name: string;
  /** Byte offset in the memory (a multiple of its alignment). */
  readonly offset: number;
  /** Bytes reserved. */
  readonly bytes: number;
}

/** Smallest alignment of a region: one v128. */
export const MIN_ALIGN = 16;
/** Alignment of weight regions: one cache line. */
export const WEIGHT_ALIGN = 64;
/** Bytes left unused at address 0, so that offset 0 is never a valid region (a zero argument is a bug). */
export const NULL_GUARD_BYTES = 64;

/**
 * Plan-then-allocate layout of one WebAssembly memory: regions are added by name with a size
 * and alignment, then `createMemory` makes a memory of exactly the pages they need.
 */
export class MemoryPlan {
  private readonly byName = new Map<string, Region>();
  private end = NULL_GUARD_BYTES;

  /** Reserves `bytes` under `name`, aligned to `align` (a power of two, raised to at least 16); returns the region. */
  add(name: string, bytes: number, align: number = MIN_ALIGN): Region {
    if (this.byName.has(name)) {
      throw new RuminateError('invalid-argument', `memory region '${name}' is planned twice`, {
        field: 'name',
      });
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RuminateError(
        'invalid-argument',
        `memory region '${name}': bytes must be a whole number ≥ 0, got ${bytes}`,
        {
          field: 'bytes',
        },
      );
    }
    if (!Number.isSafeInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
      throw new RuminateError(
        'invalid-argument',
        `memory region '${name}': alignment must be a power of two, got ${align}`,
        {
          field: 'align',
        },
      );
    }
    const a = Math.max(MIN_ALIGN, align);
    const offset = Math.ceil(this.end / a) * a;
    const region: Region = { name, offset, bytes };
    this.byName.set(name, region);
    this.end = offset + bytes;
    return region;
  }

  /** Reserves a weight region (64-byte aligned). */
  addWeights(name: string, bytes: number): Region {
    return this.add(name, bytes, WEIGHT_ALIGN);
  }

  /** The region planned under `name`; throws when there is none. */
  region(name: string): Region {
    const r = this.byName.get(name);
    if (!r) throw new RuminateError('internal', `no memory region named '${name}' was planned`);
    return r;
  }

  /** Every planned region, in the order added. */
  get regions(): readonly Region[] {
    return [...this.byName.values()];
  }

  /** Bytes from address 0 to the end of the last region. */
  get totalBytes(): number {
    return this.end;
  }

  /** 64 KiB pages needed to hold every region. */
  get pages(): number {
    return pagesFor(this.end);
  }

  /** Throws RuminateError('model-too-large') when the plan exceeds 32-bit WebAssembly memory. */
  assertFits(): void {
    assertFitsWasm32(this.end);
  }
}
