import type { KernelConfig } from '../ops/context.ts';

/** One persisted tuning decision. */
export interface TuningRecord {
  /** The winning configuration. */
  config: KernelConfig;
  /** Its median time, ms. */
  ms: number;
  /** The shipped default's median time on the same problem, ms. */
  defaultMs: number;
  /** How many candidates were timed. */
  timed: number;
  /** When it was decided (ISO 8601). */
  at: string;
}

/** Where winners persist: IndexedDB in browsers, a JSON file in Node, memory in tests. */
export interface TuningStore {
  /** Every record, keyed by `identity|op|bucket`. */
  load(): Promise<Record<string, TuningRecord>>;
  /** Adds or replaces records. */
  save(records: Record<string, TuningRecord>): Promise<void>;
  /** Removes every record. */
  clear(): Promise<void>;
}

/** A store that lives as long as the page or process. */
export class MemoryTuningStore implements TuningStore {
  private records: Record<string, TuningRecord> = {};
  async load() {
    return { ...this.records };
  }
  async save(records: Record<string, TuningRecord>) {
    Object.assign(this.records, records);
  }
  async clear() {
    this.records = {};
  }
}
