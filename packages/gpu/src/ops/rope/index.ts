export { type RopeArgs, RopeOp, ropeTuningSpace } from './rope.ts';
export type { RopeParams } from './rope-params.ts';
