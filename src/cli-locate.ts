import {
  Option,
  type Command,
  type CommandUnknownOpts,
  type OptionValues,
} from '@commander-js/extra-typings';
import { choiceArg, labelsArg } from './cli-args.js';
import { UsageError } from './core/errors.js';
import type { Act } from './cli-act.js';

/** Commander wiring of the `locate` family. */
function vantageOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .option('--from <node>', 'vantage node for the preferred replica')
    .option('--region <r>', 'vantage region')
    .option('--zone <z>', 'vantage availability zone')
    .option('--dc <d>', 'vantage data center');
}

export function addLocate(program: CommandUnknownOpts, act: Act): void {
  const locate = vantageOptions(
    program
      .command('locate')
      .description(
        'which partition and which nodes hold a trace (or a metric, a log, a time range, OTLP data)',
      )
      .argument('[trace-id]', '32 hex digits or a W3C traceparent')
      .option('--at <time>', 'when (RFC 3339, unix seconds, now-2h; default now)')
      .option('--from-time <time>', 'window start: one row per time partition')
      .option('--to-time <time>', 'window end (default now)')
      .option('--around <time>', 'window centre')
      .option('--window <dur>', 'window width with --around (default 1h)')
      .option('--stdin', 'read "<trace-id> [time]" lines from stdin; streams one result per line', false),
  ).addHelpText(
    'after',
    `
Examples:
  $ otlpctl locate 4bf92f3577b34da6a3ce929d0e0e4736 --at 2026-01-01T12:30:00Z
  $ otlpctl locate 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 --from node-3
  $ otlpctl locate 4bf92f3577b34da6a3ce929d0e0e4736 --around now-3h --window 2h
  $ otlpctl locate --stdin -o tsv < ids.txt
  $ otlpctl locate metric --name http.server.duration --service checkout --labels method=GET
  $ otlpctl locate log --service checkout --severity ERROR --body "payment declined"
  $ otlpctl locate range --from-time now-2h --to-time now --region eu-west-1
  $ otlpctl locate otlp export.json -o ndjson`,
  );
  locate.action(
    act((traceId, o) => async (ctx) => {
      if (o.stdin) {
        if (traceId !== undefined)
          throw new UsageError('locate --stdin reads ids from stdin; do not also give one');
        return (await import('./commands/locate-stdin.js')).locateStdin({ ...o }, ctx);
      }
      if (traceId === undefined)
        throw new UsageError('locate: give a trace id (or --stdin, or one of: metric, log, range, otlp)');
      return (await import('./commands/locate.js')).locate({ ...o, traceId }, ctx);
    }),
  );
  vantageOptions(
    locate.command('metric').description("where a metric data point goes (the seed's MetricPartitionKey)"),
  )
    .requiredOption('--name <name>', 'metric name')
    .requiredOption('--service <name>', 'service.name')
    .addOption(new Option('--labels <k=v,…>', 'data point attributes').argParser(labelsArg))
    .option('--at <time>', 'when (default now)')
    .addHelpText(
      'after',
      '\nExample:\n  $ otlpctl locate metric --name http.server.duration --service checkout --labels method=GET --at now-1h',
    )
    .action(
      act(
        (o) => async (ctx) =>
          (await import('./commands/locate-keys.js')).locateMetric({ ...o, labels: o.labels ?? [] }, ctx),
      ),
    );
  vantageOptions(locate.command('log').description("where a log record goes (the seed's LogPartitionKey)"))
    .requiredOption('--service <name>', 'service.name')
    .requiredOption('--severity <level>', 'TRACE|DEBUG|INFO|WARN|ERROR|FATAL or an OTLP severity number 1-24')
    .requiredOption('--body <text>', 'the log body')
    .option('--at <time>', 'when (default now)')
    .addHelpText(
      'after',
      "\nExample:\n  $ otlpctl locate log --service checkout --severity ERROR --body 'payment declined' --at now-10m",
    )
    .action(act((o) => async (ctx) => (await import('./commands/locate-keys.js')).locateLog(o, ctx)));
  vantageOptions(
    locate
      .command('range')
      .description("query fan-out: the partitions of a time range, per node (the seed's query_traces)"),
  )
    .option('--from-time <time>', 'range start (required)')
    .option('--to-time <time>', 'range end (default now)')
    .option('--service <name>', 'service name (recorded; trace partitions are not split by service)')
    .addOption(
      new Option('--signal <signal>', 'traces, metrics or logs')
        .argParser(choiceArg('--signal', ['traces', 'metrics', 'logs'] as const))
        .default('traces'),
    )
    .addHelpText('after', '\nExample:\n  $ otlpctl locate range --from-time now-3h --to-time now-1h -o json')
    .action(act((o) => async (ctx) => (await import('./commands/locate-range.js')).locateRange(o, ctx)));
  locate
    .command('otlp')
    .description('write routing of OTLP/JSON data (a request, or JSON lines from the file exporter)')
    .argument('[file]', 'file, or - for stdin', '-')
    .addHelpText(
      'after',
      '\nExamples:\n  $ otlpctl locate otlp export.json -o tsv\n  $ tail -n 100 /var/log/otelcol/traces.jsonl | otlpctl locate otlp - -o ndjson',
    )
    .action(
      act((file) => async (ctx) => (await import('./commands/locate-otlp.js')).locateOtlp({ file }, ctx)),
    );
}
