import type { SeverityLevel } from './scalars.js';

/** What `locate otlp` routes: one item per trace, per metric stream, per log record. */

export interface OtlpTraceItem {
  signal: 'traces';
  /** 32 lowercase hex digits. */
  trace_id: string;
  /** The service of the trace's earliest span. */
  service_name: string;
  /** The earliest span start in the input, ms since the epoch. */
  time_ms: number;
  spans: number;
}

export interface OtlpMetricItem {
  signal: 'metrics';
  name: string;
  service_name: string;
  /** The first data point's time, ms since the epoch. */
  time_ms: number;
  /** The first data point's attributes, values stringified. */
  labels: [string, string][];
}

export interface OtlpLogItem {
  signal: 'logs';
  service_name: string;
  /** timeUnixNano, else observedTimeUnixNano, ms since the epoch. */
  time_ms: number;
  severity_level: SeverityLevel;
  body: string;
}

export type OtlpItem = OtlpTraceItem | OtlpMetricItem | OtlpLogItem;

export interface OtlpProblem {
  /** e.g. 'line 3: resourceSpans[0].scopeSpans[1].spans[4]' */
  where: string;
  error: string;
}

export interface OtlpParseResult {
  items: OtlpItem[];
  problems: OtlpProblem[];
}
