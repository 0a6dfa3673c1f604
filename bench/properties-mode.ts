// npm run bench -- --mode properties [--property-runs 100000] [--out bench/results/properties]
// Issue 18's prune and identity invariants (test/property/) over many more
// generated sequences than the unit tier's 1,000, with the same generator
// and checks: in process against the simulator, no CLI build needed.
// Reported: sequences, runs, crashes, deletes checked, and the time.
import { checkPruneProperty, PROPERTY_SEED } from '../test/property/prune-properties.ts';
import type { ScenarioResult } from './cli-mode.ts';

export async function runPropertiesMode(numRuns: number, seed: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  log(`properties: ${numRuns} generated sequences of runs, seed ${seed}`);
  const cpuBefore = process.cpuUsage();
  try {
    const started = performance.now();
    const { stats, ms } = await checkPruneProperty({
      numRuns,
      seed,
      progress: (n, s) =>
        n % 5000 === 0 &&
        log(`properties: ${n} sequences, ${s.runs} runs, ${s.deletes} deletes, ${((performance.now() - started) / 1000).toFixed(0)} s`),
    });
    const cpu = process.cpuUsage(cpuBefore);
    log(`properties: passed in ${(ms / 1000).toFixed(1)} s (${stats.runs} runs, ${stats.crashes} crashes, ${stats.deletes} deletes)`);
    return [
      {
        mode: 'properties',
        scenario: 'prune-identity',
        n: numRuns,
        latencyMs: 0,
        ok: true,
        wallMs: ms,
        cpuMs: (cpu.user + cpu.system) / 1000,
        peakRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
        extra: { seed, runs: stats.runs, crashes: stats.crashes, deletes: stats.deletes, withoutEffect: stats.refused },
        notes: [],
      },
    ];
  } catch (error) {
    return [
      {
        mode: 'properties',
        scenario: 'prune-identity',
        n: numRuns,
        latencyMs: 0,
        ok: false,
        extra: { seed },
        notes: [String((error as Error).message ?? error)],
      },
    ];
  }
}

export const DEFAULT_PROPERTY_SEED = PROPERTY_SEED;
