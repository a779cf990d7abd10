import { json, ndjson, palette, table, tsv, type Format, type Style } from './output.js';

export type OtlpRow =
  | ({
      signal: 'traces' | 'metrics' | 'logs';
      partition_id: string;
      leader: string | null;
      replicas: string[];
      source: string;
    } & Record<string, unknown>)
  | { where: string; error: string };

const isError = (r: OtlpRow): r is { where: string; error: string } => 'error' in r;

/** The item's own key, as a script needs it: trace id, metric name, `severity:content_hash` of a log. */
function key(r: Exclude<OtlpRow, { error: string }>): string {
  switch (r.signal) {
    case 'traces':
      return String(r.trace_id);
    case 'metrics':
      return String(r.name);
    case 'logs':
      return `${String(r.severity_level)}:${String(r.content_hash)}`;
  }
}

function keyText(r: Exclude<OtlpRow, { error: string }>): string {
  switch (r.signal) {
    case 'traces':
      return `trace ${key(r)} (${String(r.spans)} spans)`;
    case 'metrics':
      return `metric ${key(r)}`;
    case 'logs':
      return `log severity ${String(r.severity_level)}, content ${String(r.content_hash)}`;
  }
}

export function renderOtlp(rows: OtlpRow[], format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(rows);
    case 'ndjson':
      return ndjson(rows);
    case 'tsv':
      return tsv(
        rows.map((r) =>
          isError(r)
            ? ['ERROR', '', r.where, '', r.error, '', '']
            : [
                r.signal,
                String(r.service_name),
                key(r),
                String(r.time),
                r.partition_id,
                r.leader,
                r.replicas.join(','),
              ],
        ),
      );
    case 'table': {
      const c = palette(style);
      return table(
        ['SIGNAL', 'SERVICE', 'KEY', 'TIME', 'PARTITION', 'LEADER', 'REPLICAS'],
        rows.map((r) =>
          isError(r)
            ? [c.red('error'), '', r.where, '', c.red(r.error), '', '']
            : [
                r.signal,
                String(r.service_name),
                keyText(r),
                String(r.time),
                r.partition_id,
                r.leader,
                r.replicas.join(','),
              ],
        ),
        style,
      );
    }
  }
}
