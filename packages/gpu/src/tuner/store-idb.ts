import type { TuningRecord, TuningStore } from './store.ts';

const DB = 'ruminate-tuning';
const STORE = 'winners';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}

/** Winners in IndexedDB (pages and workers), one entry per `identity|op|bucket`. */
export class IndexedDbTuningStore implements TuningStore {
  private db: Promise<IDBDatabase> | undefined;

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((ok, fail) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    return this.db;
  }

  async load(): Promise<Record<string, TuningRecord>> {
    const tx = (await this.open()).transaction(STORE, 'readonly').objectStore(STORE);
    const [keys, values] = await Promise.all([request(tx.getAllKeys()), request(tx.getAll())]);
    return Object.fromEntries(keys.map((k, i) => [String(k), values[i] as TuningRecord]));
  }

  async save(records: Record<string, TuningRecord>): Promise<void> {
    const tx = (await this.open()).transaction(STORE, 'readwrite');
    for (const [k, v] of Object.entries(records)) tx.objectStore(STORE).put(v, k);
    await new Promise<void>((ok, fail) => {
      tx.oncomplete = () => ok();
      tx.onerror = () => fail(tx.error);
    });
  }

  async clear(): Promise<void> {
    await request((await this.open()).transaction(STORE, 'readwrite').objectStore(STORE).clear());
  }
}

/** The platform's persistent store: IndexedDB where it exists, else a JSON file (Node). */
export async function defaultTuningStore(): Promise<TuningStore> {
  if (typeof indexedDB !== 'undefined') return new IndexedDbTuningStore();
  const { FileTuningStore } = await import('./store-node.ts');
  return new FileTuningStore();
}
