// Preloaded into the restlake processes the benchmark runs (`node --import`): writes the process's peak RSS
// to the file named by RESTLAKE_BENCH_RSS when it exits, so the benchmark reports the pipeline's own memory.
import { writeFileSync } from 'node:fs';

const target = process.env.RESTLAKE_BENCH_RSS;
if (target) {
  process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS / 1024)));
}
