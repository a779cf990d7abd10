import type { ClusterConfig } from '../core/config.js';
import { fields, json, ndjson, tsv, type Format, type Style } from './output.js';

export function renderConfig(config: ClusterConfig, format: Format, style: Style): string {
  switch (format) {
    case 'json':
      return json(config);
    case 'ndjson':
      return ndjson([config]);
    case 'tsv':
      return tsv(Object.entries(config).map(([k, v]) => [k, String(v)]));
    case 'table':
      return fields(
        Object.entries(config).map(([k, v]) => [k, String(v)] as const),
        style,
      );
  }
}

/**
 * The configuration as stored (`-o json`: the stored object, unknown fields included); the table
 * also lists the fields the store leaves out, with the default every command then uses.
 */
export function renderStoredConfig(
  stored: Record<string, unknown>,
  effective: ClusterConfig,
  format: Format,
  style: Style,
): string {
  const rows: [string, string][] = Object.entries(stored).map(([k, v]) => [k, JSON.stringify(v)]);
  for (const [k, v] of Object.entries(effective))
    if (!(k in stored)) rows.push([k, `${JSON.stringify(v)} (default, not stored)`]);
  switch (format) {
    case 'json':
      return json(stored);
    case 'ndjson':
      return ndjson([stored]);
    case 'tsv':
      return tsv(rows);
    case 'table':
      return fields(rows, style);
  }
}
