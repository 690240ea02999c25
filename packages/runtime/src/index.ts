export type * from './engine/types.ts';
