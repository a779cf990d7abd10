import { KvState, lowerBound, type KvRecord, type LeaseRecord } from './memory.js';

/** Keys in etcd's order and their records, made on demand: a file as `readLines` read it. */
export interface OrderedKeys {
  readonly keys: readonly string[];
  record(index: number): KvRecord;
}

/**
 * A file store's state read from a file in key order: reads find keys by binary search and make only
 * the records they touch; the Map of every key (`kvs`) is built on first write, on a copy.
 */
export class FileKvState extends KvState {
  private source: OrderedKeys | undefined;

  constructor(revision: number, source: OrderedKeys, leases: Map<string, LeaseRecord>) {
    super(revision, undefined, leases);
    this.source = source;
  }

  override get kvs(): Map<string, KvRecord> {
    const { source } = this;
    if (source) {
      this.source = undefined;
      source.keys.forEach((key, i) => this.map.set(key, source.record(i)));
      this.adoptOrder(source.keys);
    }
    return this.map;
  }

  override clone(): KvState {
    const leases = new Map(this.leases);
    return this.source ? new FileKvState(this.revision, this.source, leases) : super.clone();
  }

  protected override find(key: string): KvRecord | undefined {
    if (!this.source) return super.find(key);
    const i = lowerBound(this.source.keys, key);
    return this.source.keys[i] === key ? this.source.record(i) : undefined;
  }

  protected override at(all: readonly string[], i: number): KvRecord {
    return this.source ? this.source.record(i) : super.at(all, i);
  }

  protected override sortedKeys(): readonly string[] {
    return this.source ? this.source.keys : super.sortedKeys();
  }
}
