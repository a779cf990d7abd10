/**
 * OTLP/JSON export requests → what `locate otlp` routes (PRODUCT.md §4): one item per trace,
 * per metric stream, per log record, each with the fields its partition key is made of.
 * Input is read as protobuf's JSON parsers read it (camelCase or snake_case names, null as
 * unset, the pre-1.0 `instrumentationLibrary*` names); a malformed part becomes a problem naming
 * where it is, and everything else is still read.
 */
import { OtlpCollector } from './otlp/collector.js';
import type { OtlpParseResult } from './otlp/types.js';

export { OtlpCollector, UNKNOWN_SERVICE } from './otlp/collector.js';
export { otlpTraceIdHex, severityLevel, unixNanoToMs, type SeverityLevel } from './otlp/scalars.js';
export type {
  OtlpItem,
  OtlpLogItem,
  OtlpMetricItem,
  OtlpParseResult,
  OtlpProblem,
  OtlpTraceItem,
} from './otlp/types.js';
export { anyValueJson, serdeF64 } from './otlp/values.js';

/** One export request, already parsed; `where` prefixes its problems (e.g. 'line 3'). */
export function parseOtlpRequest(json: unknown, where: string): OtlpParseResult {
  const c = new OtlpCollector();
  c.addRequest(json, where);
  return c.result();
}

/** One JSON request, or one request per line (the collector's file exporter, JSON lines). */
export function parseOtlpText(text: string): OtlpParseResult {
  const c = new OtlpCollector();
  c.addText(text);
  return c.result();
}
