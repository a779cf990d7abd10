// Preloaded into benchmarked processes (`node --import`): reports the process's own peak RSS.
process.on('exit', () => {
  process.stderr.write(`OTLPCTL_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`);
});
