import { UsageError } from '../core/errors.js';

/** The etcd key layout (PRODUCT.md §3.2), shared with the seed's `MetadataService`. */
export class KeyLayout {
  readonly prefix: string;

  constructor(prefix = '/otlp') {
    if (!prefix.startsWith('/') || /\/\/|\s/.test(prefix)) {
      throw new UsageError(
        `--prefix '${prefix}': expected a key path such as /otlp (leading slash, no spaces)`,
      );
    }
    this.prefix = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  }

  get config(): string {
    return `${this.prefix}/config`;
  }
  get nodesPrefix(): string {
    return `${this.prefix}/nodes/`;
  }
  node(id: string): string {
    return `${this.nodesPrefix}${id}`;
  }
  get partitionsPrefix(): string {
    return `${this.prefix}/partitions/`;
  }
  partition(id: string): string {
    return `${this.partitionsPrefix}${id}`;
  }
  lock(name: 'rebalance' | 'expire'): string {
    return `${this.prefix}/locks/${name}`;
  }
  get auditPrefix(): string {
    return `${this.prefix}/audit/`;
  }
  get rebalancePrefix(): string {
    return `${this.prefix}/rebalance/`;
  }
}
