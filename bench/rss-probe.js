// Preloaded into benchmarked processes (`node --import`): reports the process's own peak RSS.
// On Linux from /proc (VmHWM): getrusage's maxRSS keeps the high-water mark of the process that
// forked it (Linux carries it across exec), so a child of a big bench reported the bench's size.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try {
    kb = Number(/VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'))[1]);
  } catch {
    // not Linux: maxRSS it is
  }
  process.stderr.write(`OTLPCTL_BENCH_MAXRSS_KB=${kb}\n`);
});
