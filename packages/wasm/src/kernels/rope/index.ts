// Rotary position embedding: the kernel and its host-side angle table.
export { emitRope, type RopeSpec } from './rope.ts';
export { buildRopeTable, type RopeTableSpec } from './rope-table.ts';
