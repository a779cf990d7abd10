/** Walks OTLP/JSON export requests and collects the items `locate otlp` routes (see ../otlp.ts). */
import {
  OtlpShapeError,
  field,
  isObject,
  join,
  kindOf,
  repeated,
  snakeCase,
  type JsonObject,
} from './shape.js';
import { otlpTraceIdHex, severityLevel, severityNumber, unixNanoToMs } from './scalars.js';
import type { OtlpItem, OtlpParseResult, OtlpProblem, OtlpTraceItem } from './types.js';
import { anyValueBody, anyValueLabel } from './values.js';

/** What OTel SDKs report when `service.name` is not set (the spec's fallback, minus the executable name). */
export const UNKNOWN_SERVICE = 'unknown_service';

interface SignalShape {
  resources: string;
  /** The scope list, then its pre-1.0 name (read only when the first is empty, as the OpenTelemetry Collector does). */
  scopes: readonly [string, string];
  records: string;
}
const TRACES: SignalShape = {
  resources: 'resourceSpans',
  scopes: ['scopeSpans', 'instrumentationLibrarySpans'],
  records: 'spans',
};
const METRICS: SignalShape = {
  resources: 'resourceMetrics',
  scopes: ['scopeMetrics', 'instrumentationLibraryMetrics'],
  records: 'metrics',
};
const LOGS: SignalShape = {
  resources: 'resourceLogs',
  scopes: ['scopeLogs', 'instrumentationLibraryLogs'],
  records: 'logRecords',
};
const REQUEST_FIELDS = new Set(
  ['resourceSpans', 'resourceMetrics', 'resourceLogs'].flatMap((k) => [k, snakeCase(k)]),
);
const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

interface Resource {
  service: string;
  /** Unique per resource of each request: metric streams are per resource. */
  id: string;
}

// JSON.parse turns integers past 2^53 into doubles. Nanosecond times and int64 values written as
// bare numbers are quoted first (protobuf JSON accepts both) so that every digit survives. A match
// needs a quoted key right before it, and quotes inside JSON strings are escaped, so string
// contents are never touched.
const BIG_INTEGER_FIELD =
  /("(?:[A-Za-z]*UnixNano|[a-z_]*_unix_nano|intValue|int_value)"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g;
function keepBigIntegersExact(text: string): string {
  return text.replace(BIG_INTEGER_FIELD, '$1"$2"');
}

/** Collects items across export requests; traces are grouped by trace id over everything added. */
export class OtlpCollector {
  private readonly items: OtlpItem[] = [];
  private readonly problems: OtlpProblem[] = [];
  private readonly traces = new Map<string, OtlpTraceItem>();
  private readonly streams = new Set<string>();
  private requests = 0;

  /**
   * A whole input: one JSON request (pretty-printed or not), or JSON lines (one request per line,
   * as the OpenTelemetry Collector's file exporter writes). A text that does not parse whole is taken as JSON
   * lines unless its first line is a lone `{` or `[`, the start of a pretty-printed document.
   * Problems in a multi-line document are named by path alone: line numbers are lost in parsing.
   */
  addText(text: string): void {
    const src = keepBigIntegersExact(text.replace(/^\uFEFF/, ''));
    if (src.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(src);
    } catch (e) {
      const lines = src.split(/\r?\n/);
      const first = lines.find((l) => l.trim() !== '')?.trim();
      if (first === '{' || first === '[') {
        this.problem('', '', `not valid JSON: ${(e as Error).message}`);
      } else {
        lines.forEach((line, i) => this.parseLine(line, i + 1));
      }
      return;
    }
    // A single line is a JSON-lines file of one request: say so in `where`, like longer ones.
    const body = src.trim();
    const lead = src.length - src.trimStart().length;
    this.addRequest(json, body.includes('\n') ? '' : `line ${src.slice(0, lead).split('\n').length}`);
  }

  /** One line of JSON lines (numbered from 1); blank lines are skipped. */
  addLine(line: string, lineNumber: number): void {
    this.parseLine(keepBigIntegersExact(line), lineNumber);
  }

  /** One parsed export request; `where` prefixes its problems ('' for none). */
  addRequest(json: unknown, where: string): void {
    const request = this.requests++;
    if (!isObject(json)) {
      this.problem(where, '', `expected an OTLP export request (a JSON object), got ${kindOf(json)}`);
      return;
    }
    const keys = Object.keys(json);
    if (keys.length > 0 && !keys.some((k) => REQUEST_FIELDS.has(k))) {
      this.problem(
        where,
        '',
        'not an OTLP export request: no resourceSpans, resourceMetrics or resourceLogs',
      );
      return;
    }
    this.walk(json, TRACES, where, request, (r, p, res) => this.span(r, p, res));
    this.walk(json, METRICS, where, request, (r, p, res) => this.metric(r, p, res));
    this.walk(json, LOGS, where, request, (r, p, res) => this.log(r, p, res));
  }

  result(): OtlpParseResult {
    return { items: this.items, problems: this.problems };
  }

  private parseLine(line: string, lineNumber: number): void {
    if (line.trim() === '') return;
    const where = `line ${lineNumber}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      this.problem(where, '', `not valid JSON: ${(e as Error).message}`);
      return;
    }
    this.addRequest(json, where);
  }

  private walk(
    req: JsonObject,
    shape: SignalShape,
    where: string,
    request: number,
    visit: (record: JsonObject, path: string, resource: Resource) => void,
  ): void {
    this.guard(where, '', () => {
      const resources = repeated(req, shape.resources, '');
      resources.items.forEach((res, i) => {
        const rPath = `${resources.path}[${i}]`;
        this.guard(where, rPath, () => {
          const resource = { service: serviceName(object(res), rPath), id: `${request}/${i}` };
          let scopes = repeated(object(res), shape.scopes[0], rPath);
          if (scopes.items.length === 0) scopes = repeated(object(res), shape.scopes[1], rPath);
          scopes.items.forEach((scope, j) => {
            const sPath = `${scopes.path}[${j}]`;
            this.guard(where, sPath, () => {
              const records = repeated(object(scope), shape.records, sPath);
              records.items.forEach((record, k) => {
                const path = `${records.path}[${k}]`;
                this.guard(where, path, () => visit(object(record), path, resource));
              });
            });
          });
        });
      });
    });
  }

  private span(span: JsonObject, _path: string, resource: Resource): void {
    const id = named(span, 'traceId');
    const traceId = otlpTraceIdHex(id.value, id.name);
    const start = named(span, 'startTimeUnixNano');
    const time = unixNanoToMs(start.value, start.name);
    if (time === null) throw new OtlpShapeError(`${start.name} is missing or zero`);
    const trace = this.traces.get(traceId);
    if (trace === undefined) {
      const item: OtlpTraceItem = {
        signal: 'traces',
        trace_id: traceId,
        service_name: resource.service,
        time_ms: time,
        spans: 1,
      };
      this.traces.set(traceId, item);
      this.items.push(item);
      return;
    }
    trace.spans++;
    if (time < trace.time_ms) {
      trace.time_ms = time;
      trace.service_name = resource.service;
    }
  }

  /** One item per metric name per resource: time and labels from its first data point. */
  private metric(metric: JsonObject, path: string, resource: Resource): void {
    const name = field(metric, 'name')?.value;
    if (typeof name !== 'string' || name === '') throw new OtlpShapeError('metric has no name');
    const stream = `${resource.id}/${name}`;
    if (this.streams.has(stream)) return;
    const data = METRIC_DATA.map((k) => field(metric, k)).find((f) => f !== undefined);
    if (data === undefined) {
      throw new OtlpShapeError(`metric '${name}': no gauge, sum, histogram, exponentialHistogram or summary`);
    }
    const points = repeated(object(data.value, join(path, data.key)), 'dataPoints', join(path, data.key));
    if (points.items.length === 0) throw new OtlpShapeError(`metric '${name}' has no data points`);
    const pPath = `${points.path}[0]`;
    const point = object(points.items[0], pPath);
    const t = named(point, 'timeUnixNano');
    const time = unixNanoToMs(t.value, t.name);
    if (time === null) throw new OtlpShapeError(`metric '${name}': ${t.name} is missing or zero`, pPath);
    const labels = new Map<string, string>(); // a later duplicate key wins, as in the seed's HashMap
    const attributes = repeated(point, 'attributes', pPath);
    attributes.items.forEach((a, i) => {
      const aPath = `${attributes.path}[${i}]`;
      if (!isObject(a) || typeof a.key !== 'string') throw new OtlpShapeError('expected {key, value}', aPath);
      const value = field(a, 'value');
      labels.set(a.key, value === undefined ? '' : anyValueLabel(value.value, join(aPath, value.key)));
    });
    this.streams.add(stream);
    this.items.push({
      signal: 'metrics',
      name,
      service_name: resource.service,
      time_ms: time,
      labels: [...labels],
    });
  }

  private log(record: JsonObject, path: string, resource: Resource): void {
    const t = named(record, 'timeUnixNano');
    const observed = named(record, 'observedTimeUnixNano');
    const time = unixNanoToMs(t.value, t.name) ?? unixNanoToMs(observed.value, observed.name);
    if (time === null) throw new OtlpShapeError(`${t.name} and ${observed.name} are both missing or zero`);
    const n = named(record, 'severityNumber');
    const text = field(record, 'severityText')?.value;
    const level = severityLevel(severityNumber(n.value, n.name), typeof text === 'string' ? text : '');
    if (level === undefined) throw new OtlpShapeError(`${n.name}: not an OTLP severity`);
    const body = field(record, 'body');
    this.items.push({
      signal: 'logs',
      service_name: resource.service,
      time_ms: time,
      severity_level: level,
      body: body === undefined ? '' : anyValueBody(body.value, join(path, body.key)),
    });
  }

  private guard(where: string, path: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof OtlpShapeError)) throw e;
      this.problem(where, e.path ?? path, e.message);
    }
  }

  private problem(where: string, path: string, error: string): void {
    this.problems.push({ where: [where, path].filter((s) => s !== '').join(': ') || 'request', error });
  }
}

/** `service.name` (a string attribute of the resource); unset or not a string → `unknown_service`. */
function serviceName(res: JsonObject, path: string): string {
  const r = field(res, 'resource');
  if (r === undefined) return UNKNOWN_SERVICE;
  let service = UNKNOWN_SERVICE;
  for (const attr of repeated(object(r.value, join(path, r.key)), 'attributes', join(path, r.key)).items) {
    if (!isObject(attr) || attr.key !== 'service.name') continue;
    const value = field(attr, 'value')?.value;
    const s = isObject(value) ? field(value, 'stringValue')?.value : undefined;
    service = typeof s === 'string' && s !== '' ? s : UNKNOWN_SERVICE;
  }
  return service;
}

function object(v: unknown, path?: string): JsonObject {
  if (!isObject(v)) throw new OtlpShapeError(`expected an object, got ${kindOf(v)}`, path);
  return v;
}

/** A field's value and the name to report it under (the spelling found, else camelCase). */
function named(obj: JsonObject, camel: string): { name: string; value: unknown } {
  const f = field(obj, camel);
  return f === undefined ? { name: camel, value: undefined } : { name: f.key, value: f.value };
}
