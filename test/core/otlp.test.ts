import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OtlpCollector,
  otlpTraceIdHex,
  parseOtlpRequest,
  parseOtlpText,
  serdeF64,
  severityLevel,
  unixNanoToMs,
  type OtlpItem,
  type OtlpTraceItem,
} from '../../src/core/otlp.js';
import { severityNumber } from '../../src/core/otlp/scalars.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/otlp/${name}`, import.meta.url), 'utf8');

const A = '5b8efff798038103d269b633813fc60c';
const B = '4bf92f3577b34da6a3ce929d0e0e4736';
const C = '0af7651916cd43dd8448eb211c80319c';

describe('parseOtlpText: fixtures', () => {
  it('groups the interleaved spans of two resources into one item per trace', () => {
    expect(parseOtlpText(fixture('traces.json'))).toEqual({
      items: [
        // A's earliest span is checkout's, written as a bare number one nanosecond before a ms boundary
        { signal: 'traces', trace_id: A, service_name: 'checkout', time_ms: 1700000000099, spans: 3 },
        { signal: 'traces', trace_id: B, service_name: 'frontend', time_ms: 1700000000200, spans: 3 },
        { signal: 'traces', trace_id: C, service_name: 'checkout', time_ms: 1700000002999, spans: 2 },
      ],
      problems: [],
    });
  });

  it('reads gauge, sum and histogram: one item per metric name per resource, from its first data point', () => {
    expect(parseOtlpText(fixture('metrics.json'))).toEqual({
      items: [
        {
          signal: 'metrics',
          name: 'process.runtime.jvm.memory.usage',
          service_name: 'cart',
          time_ms: 1700000060000,
          labels: [
            ['pool', 'G1 Eden Space'],
            ['type', 'heap'],
          ],
        },
        {
          signal: 'metrics',
          name: 'http.server.request.count',
          service_name: 'cart',
          time_ms: 1700000060000,
          labels: [
            ['http.method', 'GET'],
            ['http.status_code', '200'],
            ['sampled', 'true'],
            ['ratio', '0.25'],
            ['tags', '["a",1]'],
          ],
        },
        {
          signal: 'metrics',
          name: 'http.server.duration',
          service_name: 'cart',
          time_ms: 1700003600000,
          labels: [['http.route', '/cart']],
        },
        {
          signal: 'metrics',
          name: 'system.cpu.utilization',
          service_name: 'unknown_service',
          time_ms: 1700000000000,
          labels: [
            ['cpu', 'cpu0'],
            ['state', 'idle'],
          ],
        },
      ],
      problems: [],
    });
  });

  it('reads log records: string and structured bodies, severities, observed time', () => {
    const { items, problems } = parseOtlpText(fixture('logs.json'));
    expect(problems).toEqual([]);
    const log = (time_ms: number, severity_level: number, body: string) => ({
      signal: 'logs',
      service_name: 'payments',
      time_ms,
      severity_level,
      body,
    });
    expect(items).toEqual([
      log(1700000000300, 9, 'charge accepted'),
      // keys sorted by bytes ("Customer" < "amount"), 12.0 as serde_json writes an f64
      log(
        1700000000400,
        17,
        '{"Customer":{"id":42,"tier":"gold"},"amount":12.0,"attempt":3,"codes":["05",false],"msg":"card declined"}',
      ),
      log(1700000000500, 13, 'retrying "gateway"\n'),
      log(1700000000600, 9, 'no severity at all'),
      log(1700000000700, 21, ''),
      log(1700000000800, 5, '7'),
      log(1700000000900, 1, '"3q2+7w=="'),
    ]);
  });

  it('reads the JSON lines of the file exporter, grouping a trace across lines', () => {
    expect(parseOtlpText(fixture('file-exporter.jsonl'))).toEqual({
      items: [
        { signal: 'traces', trace_id: B, service_name: 'frontend', time_ms: 1700000000200, spans: 2 },
        {
          signal: 'metrics',
          name: 'http.server.active_requests',
          service_name: 'frontend',
          time_ms: 1700000010000,
          labels: [['http.method', 'POST']],
        },
        {
          signal: 'logs',
          service_name: 'frontend',
          time_ms: 1700000000250,
          severity_level: 13,
          body: 'slow upstream',
        },
        { signal: 'traces', trace_id: C, service_name: 'checkout', time_ms: 1700000003000, spans: 1 },
      ],
      problems: [],
    });
  });

  it('reads snake_case names and base64 trace ids', () => {
    expect(parseOtlpText(fixture('snake-case.json'))).toEqual({
      items: [
        { signal: 'traces', trace_id: A, service_name: 'inventory', time_ms: 1700000000100, spans: 1 },
        { signal: 'traces', trace_id: B, service_name: 'inventory', time_ms: 1700000000300, spans: 1 },
        {
          signal: 'metrics',
          name: 'stock.level',
          service_name: 'inventory',
          time_ms: 1700000000500,
          labels: [['warehouse', 'ams-1']],
        },
        {
          signal: 'logs',
          service_name: 'inventory',
          time_ms: 1700000000400,
          severity_level: 5,
          body: '{"qty":2,"sku":"A-1"}',
        },
      ],
      problems: [],
    });
  });

  it('reads the pre-1.0 instrumentationLibrarySpans', () => {
    expect(parseOtlpText(fixture('instrumentation-library.json')).items).toEqual([
      { signal: 'traces', trace_id: C, service_name: 'legacy-agent', time_ms: 1600000000000, spans: 1 },
    ]);
  });

  it('reports broken lines and records where they are, and reads the rest', () => {
    const { items, problems } = parseOtlpText(fixture('broken.jsonl'));
    expect(items).toEqual([
      { signal: 'traces', trace_id: A, service_name: 'frontend', time_ms: 1700000000100, spans: 1 },
      { signal: 'traces', trace_id: B, service_name: 'frontend', time_ms: 1700000000900, spans: 1 },
      {
        signal: 'logs',
        service_name: 'unknown_service',
        time_ms: 1700000000100,
        severity_level: 9,
        body: 'fine',
      },
      { signal: 'metrics', name: 'ok', service_name: 'cart', time_ms: 1700000000100, labels: [] },
    ]);
    const spans = 'line 1: resourceSpans[0].scopeSpans[0].spans';
    const logs = 'line 6: resourceLogs[0].scopeLogs[0].logRecords';
    const metrics = 'line 7: resourceMetrics[0].scopeMetrics[0].metrics';
    expect(problems.map((p) => [p.where, p.error])).toEqual([
      [`${spans}[1]`, expect.stringContaining('all-zero trace id is invalid')],
      [`${spans}[2]`, expect.stringContaining('expected 32 hex digits (or 16 bytes in base64), got 30')],
      [`${spans}[3]`, 'startTimeUnixNano is missing or zero'],
      [`${spans}[4]`, expect.stringContaining('startTimeUnixNano "17e17": expected nanoseconds')],
      ['line 1: resourceSpans[0].scopeSpans[1]', 'expected an object, got a string'],
      ['line 2', expect.stringMatching(/^not valid JSON: /)],
      ['line 3', 'expected an OTLP export request (a JSON object), got an array'],
      ['line 4', 'not an OTLP export request: no resourceSpans, resourceMetrics or resourceLogs'],
      [`${logs}[0]`, 'severityNumber 30: expected a severity number 0–24'],
      [`${logs}[1]`, 'timeUnixNano and observedTimeUnixNano are both missing or zero'],
      [
        `${logs}[2].body.kvlistValue.values[0].value.intValue`,
        'expected an int64 (a decimal string), got "1.5"',
      ],
      [`${metrics}[0]`, "metric 'empty.gauge' has no data points"],
      [`${metrics}[1]`, "metric 'no.data': no gauge, sum, histogram, exponentialHistogram or summary"],
      [`${metrics}[2]`, 'metric has no name'],
      [`${metrics}[3].sum.dataPoints[0]`, "metric 'no.time': timeUnixNano is missing or zero"],
      ['line 8: resourceSpans', 'expected an array, got an object'],
    ]);
  });

  it('reports a broken pretty-printed document once, not line by line', () => {
    const text = fixture('traces.json').slice(0, 400);
    expect(parseOtlpText(text)).toEqual({
      items: [],
      problems: [{ where: 'request', error: expect.stringMatching(/^not valid JSON: /) }],
    });
  });

  it('names the line of a one-line input, as of a longer JSON-lines file', () => {
    const line = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]}';
    expect(parseOtlpText(`\n${line}\n`).problems).toEqual([
      {
        where: 'line 2: resourceSpans[0].scopeSpans[0].spans[0]',
        error: "traceId 'abc': expected 32 hex digits (or 16 bytes in base64), got 3 characters",
      },
    ]);
  });

  it('reads nothing from an empty text, and an empty request without complaint', () => {
    expect(parseOtlpText('')).toEqual({ items: [], problems: [] });
    expect(parseOtlpText('\n\n')).toEqual({ items: [], problems: [] });
    expect(parseOtlpText('{}\n{}\n')).toEqual({ items: [], problems: [] });
  });
});

describe('parseOtlpRequest', () => {
  it('prefixes problems with `where`, and names a whole-request problem by it alone', () => {
    const span = { traceId: A, spanId: '00f067aa0ba902b7' };
    const r = parseOtlpRequest({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }, 'line 3');
    expect(r).toEqual({
      items: [],
      problems: [
        {
          where: 'line 3: resourceSpans[0].scopeSpans[0].spans[0]',
          error: 'startTimeUnixNano is missing or zero',
        },
      ],
    });
    expect(parseOtlpRequest(null, 'line 9').problems).toEqual([
      { where: 'line 9', error: 'expected an OTLP export request (a JSON object), got null' },
    ]);
    expect(parseOtlpRequest('x', '').problems[0]?.where).toBe('request');
  });

  it('takes null as unset, as protobuf JSON does', () => {
    const r = parseOtlpRequest(
      {
        resourceSpans: null,
        resourceLogs: [
          {
            resource: null,
            scopeLogs: [
              {
                logRecords: [{ timeUnixNano: null, observedTimeUnixNano: '1700000000000000001', body: null }],
              },
            ],
          },
        ],
      },
      '',
    );
    expect(r).toEqual({
      items: [
        {
          signal: 'logs',
          service_name: 'unknown_service',
          time_ms: 1700000000000,
          severity_level: 9,
          body: '',
        },
      ],
      problems: [],
    });
  });

  it('takes service.name only as a non-empty string', () => {
    const req = (value: unknown) => ({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value }] },
          scopeSpans: [{ spans: [{ traceId: A, startTimeUnixNano: '1700000000000000000' }] }],
        },
      ],
    });
    const service = (value: unknown) =>
      (parseOtlpRequest(req(value), '').items[0] as OtlpTraceItem).service_name;
    expect(service({ stringValue: 'api' })).toBe('api');
    expect(service({ string_value: 'api' })).toBe('api');
    expect(service({ stringValue: '' })).toBe('unknown_service');
    expect(service({ intValue: '7' })).toBe('unknown_service');
  });

  it('parsed by JSON.parse, a bare nanosecond number has already lost digits; parseOtlpText keeps them', () => {
    const text = fixture('traces.json');
    const viaParse = parseOtlpRequest(JSON.parse(text), '').items[0] as OtlpTraceItem;
    expect(viaParse.time_ms).toBe(1700000000100); // 1700000000099999999 became …100000000 as a double
    expect((parseOtlpText(text).items[0] as OtlpTraceItem).time_ms).toBe(1700000000099);
  });
});

describe('big integers written as bare JSON numbers', () => {
  it('keeps every digit of nanosecond times and int64 values', () => {
    const text =
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[' +
      '{"timeUnixNano" : 1699999999999999999,"attributes":[{"key":"big","value":{"intValue":9007199254740993}},' +
      '{"key":"note","value":{"stringValue":"{\\"intValue\\": 1234567890123456789}"}}]}]}}]}]}]}';
    expect(parseOtlpText(text).items).toEqual([
      {
        signal: 'metrics',
        name: 'm',
        service_name: 'unknown_service',
        time_ms: 1699999999999,
        labels: [
          ['big', '9007199254740993'],
          ['note', '{"intValue": 1234567890123456789}'],
        ],
      },
    ]);
  });
});

describe('OtlpCollector', () => {
  it('fed line by line, gives what parseOtlpText gives', () => {
    const text = fixture('file-exporter.jsonl');
    const c = new OtlpCollector();
    text.split('\n').forEach((line, i) => c.addLine(line, i + 1));
    expect(c.result()).toEqual(parseOtlpText(text));
  });
});

describe('severityLevel', () => {
  // prettier-ignore
  const cases: [number, string, number | undefined][] = [
    [1, '', 1], [4, '', 1], [5, '', 5], [8, '', 5], [9, '', 9], [12, '', 9],
    [13, '', 13], [16, '', 13], [17, '', 17], [20, '', 17], [21, '', 21], [24, '', 21],
    [9, 'ERROR', 9],            // a number wins over the text
    [0, '', 9],                 // unspecified and no text: INFO
    [0, 'trace', 1], [0, 'DEBUG', 5], [0, 'Info', 9], [0, 'WARN', 13], [0, 'error', 17], [0, 'FATAL', 21],
    [0, 'ERROR3', 17], [0, ' warn ', 13], [0, 'Information', 9], [0, 'Warning', 13],
    [0, 'verbose', 9],          // names no level: INFO
    [25, '', undefined], [-1, 'ERROR', undefined], [1.5, '', undefined],
  ];
  it.each(cases)('severityLevel(%s, %j) = %s', (n, text, level) => {
    expect(severityLevel(n, text)).toBe(level);
  });

  // prettier-ignore
  const enumCases: [unknown, number][] = [
    [undefined, 0], [0, 0], [17, 17], ['SEVERITY_NUMBER_UNSPECIFIED', 0], ['SEVERITY_NUMBER_TRACE', 1],
    ['SEVERITY_NUMBER_DEBUG3', 7], ['SEVERITY_NUMBER_WARN2', 14], ['SEVERITY_NUMBER_FATAL4', 24],
  ];
  it.each(enumCases)('severityNumber(%j) = %s', (value, n) => {
    expect(severityNumber(value, 'severityNumber')).toBe(n);
  });
  it.each([['9'], [25], ['SEVERITY_NUMBER_WARN5'], ['WARN'], [2.5]])(
    'severityNumber(%j) is refused',
    (value) => {
      expect(() => severityNumber(value, 'severityNumber')).toThrow('expected a severity number 0–24');
    },
  );

  it('is total on 1–24 and puts each number in the level whose range holds it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.string(), (n, text) => {
        const level = severityLevel(n, text);
        expect([1, 5, 9, 13, 17, 21]).toContain(level);
        expect(level! <= n && n <= level! + 3).toBe(true);
      }),
    );
  });

  it('is monotone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(severityLevel(lo)!).toBeLessThanOrEqual(severityLevel(hi)!);
      }),
    );
  });

  it('always gives a level for an unspecified number, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect([1, 5, 9, 13, 17, 21]).toContain(severityLevel(0, text));
      }),
    );
  });
});

describe('unixNanoToMs', () => {
  it('matches BigInt division for random 19-digit strings', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{18}$/), (s) => {
        expect(unixNanoToMs(s, 't')).toBe(Number(BigInt(s) / 1_000_000n));
      }),
    );
  });

  it('matches BigInt division for any fixed64, leading zeros included', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.nat(3), (n, zeros) => {
        const s = '0'.repeat(zeros) + n.toString();
        fc.pre(s.length <= 20);
        expect(unixNanoToMs(s, 't')).toBe(Number(n / 1_000_000n));
      }),
    );
  });

  // prettier-ignore
  const cases: [unknown, number | null][] = [
    [undefined, null], [null, null], ['0', null], ['000', null], [0, null],
    ['999999', 0], ['1000000', 1], ['1544712660300000000', 1544712660300], [1544712660300000000, 1544712660300],
    ['18446744073709551615', 18446744073709],
  ];
  it.each(cases)('unixNanoToMs(%j) = %s', (value, ms) => {
    expect(unixNanoToMs(value, 't')).toBe(ms);
  });
  it.each([['-1'], [-1], ['1.5e18'], [1.5], [''], ['18446744073709551616'], [true], [{}]])(
    'unixNanoToMs(%j) is refused',
    (value) => {
      expect(() => unixNanoToMs(value, 'timeUnixNano')).toThrow(/^timeUnixNano /);
    },
  );
});

describe('otlpTraceIdHex', () => {
  // prettier-ignore
  const good: [string, string][] = [
    ['5B8EFFF798038103D269B633813FC60C', A],
    [A, A],
    ['W47/95gDgQPSabYzgT/GDA==', A],   // base64, padded
    ['W47/95gDgQPSabYzgT/GDA', A],     // unpadded
    ['S_kvNXezTaajzpKdDg5HNg==', B],   // URL-safe alphabet
  ];
  it.each(good)('otlpTraceIdHex(%j) = %s', (input, hex) => {
    expect(otlpTraceIdHex(input, 'traceId')).toBe(hex);
  });

  // prettier-ignore
  const bad: [unknown, string][] = [
    [undefined, 'traceId is missing'],
    ['', 'traceId is missing'],
    ['00000000000000000000000000000000', 'all-zero'],
    ['AAAAAAAAAAAAAAAAAAAAAA==', 'all-zero'],
    [`00-${A}-00f067aa0ba902b7-01`, 'expected 32 hex digits'],
    [A.slice(1), 'got 31 characters'],
    [`${A.slice(1)}g`, 'expected 32 hex digits'],
    [42, 'expected a string, got a number'],
  ];
  it.each(bad)('otlpTraceIdHex(%j) is refused', (input, message) => {
    expect(() => otlpTraceIdHex(input, 'traceId')).toThrow(message);
  });

  it('reads every 16-byte id the same from hex and from base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        fc.pre(bytes.some((b) => b !== 0));
        const hex = Buffer.from(bytes).toString('hex');
        expect(otlpTraceIdHex(Buffer.from(bytes).toString('base64'), 't')).toBe(hex);
        expect(otlpTraceIdHex(Buffer.from(bytes).toString('base64url'), 't')).toBe(hex);
        expect(otlpTraceIdHex(hex.toUpperCase(), 't')).toBe(hex);
      }),
    );
  });
});

describe('serdeF64: an f64 as serde_json writes it', () => {
  // prettier-ignore
  const cases: [number, string][] = [
    [1, '1.0'], [12, '12.0'], [1.5, '1.5'], [0.1, '0.1'], [0.25, '0.25'], [-2.5, '-2.5'],
    [0, '0.0'], [-0, '-0.0'], [43210.1, '43210.1'], [1e15, '1000000000000000.0'],
    [-5942736479622170, '-5942736479622170.0'], [5.444310685350916e14, '544431068535091.6'],
    [1e16, '1e+16'], [1.2345678901234568e17, '1.2345678901234568e+17'], [1.7976931348623157e308, '1.7976931348623157e+308'],
    [1e-5, '0.00001'], [1.234e-5, '0.00001234'], [1e-6, '1e-6'], [6.62607015e-34, '6.62607015e-34'], [5e-324, '5e-324'],
    [NaN, 'null'], [Infinity, 'null'], [-Infinity, 'null'],
  ];
  it.each(cases)('serdeF64(%s) = %s', (x, s) => {
    expect(serdeF64(x)).toBe(s);
  });

  it('round-trips every finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(Number(serdeF64(x)), x)).toBe(true);
      }),
    );
  });
});

describe('trace grouping', () => {
  const ids = [A, B, C, '00000000000000000000000000000001'];
  const span = fc.record({
    id: fc.constantFrom(...ids),
    nanos: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }),
    service: fc.constantFrom('a', 'b'),
  });
  type Span = { id: string; nanos: bigint; service: string };
  const request = (spans: Span[]) =>
    JSON.stringify({
      resourceSpans: spans.map((s) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: s.service } }] },
        scopeSpans: [
          { spans: [{ traceId: s.id, spanId: '00f067aa0ba902b7', startTimeUnixNano: `${s.nanos}` }] },
        ],
      })),
    });

  it('gives one item per distinct trace id, with the minimum start, across requests', () => {
    fc.assert(
      fc.property(fc.array(fc.array(span, { maxLength: 6 }), { maxLength: 6 }), (lines) => {
        const { items, problems } = parseOtlpText(lines.map(request).join('\n'));
        expect(problems).toEqual([]);
        const all = lines.flat();
        const expected = new Map<string, OtlpItem>();
        for (const s of all) {
          const time_ms = Number(s.nanos / 1_000_000n);
          const seen = expected.get(s.id) as OtlpTraceItem | undefined;
          if (seen === undefined) {
            expected.set(s.id, {
              signal: 'traces',
              trace_id: s.id,
              service_name: s.service,
              time_ms,
              spans: 1,
            });
          } else {
            seen.spans++;
            if (time_ms < seen.time_ms) Object.assign(seen, { time_ms, service_name: s.service });
          }
        }
        expect(items).toEqual([...expected.values()]);
      }),
    );
  });
});
