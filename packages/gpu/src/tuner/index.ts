export { tuningIdentity } from './identity.ts';
export { searchOrder, spreadOrder } from './search-order.ts';
export { MemoryTuningStore, type TuningRecord, type TuningStore } from './store.ts';
export { defaultTuningStore, IndexedDbTuningStore } from './store-idb.ts';
export { defaultTuningFile, FileTuningStore } from './store-node.ts';
export { createGpuTimer, type GpuTimer } from './timer.ts';
export type { Tunable } from './tunable.ts';
export { type TuneOptions, type TuneReport, type TuneResult, Tuner } from './tuner.ts';
