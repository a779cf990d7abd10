import type { NodeInfo } from '../core/model.js';
import { fields, json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';
import { bytes } from './output.js';

/** What the stored metadata puts on a node: replicas, leaderships, and their bytes. */
export interface NodeHoldings {
  partitions: number;
  leaders: number;
  bytes: number;
  leader_bytes: number;
}

export interface NodeView {
  node: NodeInfo;
  points: number | null;
  share: number | null;
  held?: NodeHoldings;
}

export function stateColor(state: string, style: Style): string {
  const c = palette(style);
  return state === 'Up' || state === 'Active'
    ? c.green(state)
    : state === 'Down'
      ? c.red(state)
      : c.yellow(state);
}

const HEAD = ['NODE', 'STATE', 'WEIGHT', 'REGION', 'ZONE', 'DATA CENTER', 'ADDRESS'];

function row(n: NodeInfo): string[] {
  return [
    n.node_id,
    n.state,
    String(n.weight),
    n.location.region,
    n.location.availability_zone,
    n.location.data_center,
    n.address ?? '',
  ];
}

export function renderNodes(nodes: NodeInfo[], format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(nodes);
    case 'ndjson':
      return ndjson(nodes);
    case 'tsv':
      return tsv(nodes.map(row));
    case 'table':
      if (nodes.length === 0)
        return "no nodes yet: add one with 'otlpctl nodes add <node-id> --region R --zone Z --dc D'";
      return table(
        HEAD,
        nodes.map((n) => {
          const r = row(n);
          r[1] = stateColor(n.state, style);
          return r;
        }),
        style,
      );
  }
}

export function renderNode(view: NodeView, format: Format, style: Style): string {
  const doc = {
    ...view.node,
    ...(view.points !== null && { points: view.points, share: view.share }),
    ...view.held,
  };
  switch (format) {
    case 'json':
      return json(doc);
    case 'ndjson':
      return ndjson([doc]);
    case 'tsv':
      return tsv([
        [
          ...row(view.node),
          ...(view.held
            ? [view.held.partitions, view.held.leaders, view.held.bytes, view.held.leader_bytes]
            : []),
        ],
      ]);
    case 'table': {
      const pairs: [string, string][] = [
        ['node', view.node.node_id],
        ['state', stateColor(view.node.state, style)],
        ['weight', String(view.node.weight)],
        ['region', view.node.location.region],
        ['zone', view.node.location.availability_zone],
        ['data center', view.node.location.data_center],
      ];
      if (view.node.address) pairs.push(['address', view.node.address]);
      if (view.points !== null) {
        pairs.push(
          ['ring points', String(view.points)],
          ['hash share', `${((view.share ?? 0) * 100).toFixed(2)} %`],
        );
      }
      if (view.held) {
        const h = view.held;
        pairs.push(
          ['partitions', `${h.partitions} (${bytes(h.bytes)})`],
          ['leader of', `${h.leaders} (${bytes(h.leader_bytes)})`],
        );
      }
      return fields(pairs, style);
    }
  }
}
