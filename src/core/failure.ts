/**
 * What a failure would cost (`ring --simulate-fail-zone/--simulate-fail-node`): over a window of
 * partitions, how many would keep no `Up` replica (`unavailable`) and how many fewer than a
 * majority of `replication_factor` (`under_quorum`, which includes the unavailable ones).
 */

export interface FailureCounts {
  partitions: number;
  unavailable: number;
  under_quorum: number;
}

export class FailureTally {
  readonly counts: FailureCounts = { partitions: 0, unavailable: 0, under_quorum: 0 };
  private readonly majority: number;

  /** `up(node)`: whether the node is `Up` and not among the failed ones. */
  constructor(
    replicationFactor: number,
    private readonly up: (nodeId: string) => boolean,
  ) {
    this.majority = Math.floor(replicationFactor / 2) + 1;
  }

  add(replicas: readonly string[]): void {
    let alive = 0;
    for (const id of replicas) if (this.up(id)) alive++;
    this.counts.partitions++;
    if (alive === 0) this.counts.unavailable++;
    if (alive < this.majority) this.counts.under_quorum++;
  }
}
