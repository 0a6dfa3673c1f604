// Preloaded into a measured child (node --import bench/usage.ts …): on exit it
// writes the process's own resource usage (CPU time, peak RSS) to the file
// named by $BENCH_USAGE_FILE, so the bench counts that child's cost alone.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKb: u.maxRSS }));
  });
}
