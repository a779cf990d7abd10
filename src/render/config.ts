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
