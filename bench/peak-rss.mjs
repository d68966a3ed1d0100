// Preloaded into the restlake processes the benchmark runs (`node --import`): writes the process's peak RSS
// to the file named by RESTLAKE_BENCH_RSS when it exits, so the benchmark reports the pipeline's own memory.
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The peak RSS of this process image, in MB. On Linux, from VmHWM: `getrusage`'s maxRSS (what
 * `process.resourceUsage()` reports) carries over the parent's high-water mark through fork and exec, so
 * every process the benchmark spawned reported at least the benchmark's own memory (its rendered pages).
 */
export function peakRssMb() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}

const target = process.env.RESTLAKE_BENCH_RSS;
if (target) {
  process.on('exit', () => writeFileSync(target, String(peakRssMb())));
}
