// The prune and identity invariants of issue 18 as fast-check properties,
// shared by the unit tier (test/property/prune.test.ts, 1,000 sequences
// each) and the benchmark (npm run bench -- --mode properties, 100,000).
import fc from 'fast-check';
import { scenarios } from './prune-arbitraries.ts';
import { playScenario, type RunStats } from './prune-world.ts';

/** The seed the unit tier runs with: a failure prints it, and its path, to replay exactly that sequence. */
export const PROPERTY_SEED = 0x18_2026;

export function emptyStats(): RunStats {
  return { runs: 0, crashes: 0, deletes: 0, refused: 0 };
}

/**
 * A Coder workspace is deleted only if it was created or adopted by the
 * same source, is declared nowhere (in the run or the state), its last
 * declaration said Delete and not Observe, and the run was within
 * --max-prune; nothing else is ever deleted, and nothing declared is ever
 * left undeclared in the state.
 */
export function pruneProperty(
  stats: RunStats,
  progress?: (sequences: number) => void,
): fc.IAsyncPropertyWithHooks<[Parameters<typeof playScenario>[0]]> {
  let sequences = 0;
  return fc.asyncProperty(scenarios, async (scenario) => {
    await playScenario(scenario, stats);
    sequences += 1;
    if (progress && sequences % 1000 === 0) progress(sequences);
  });
}

export interface PropertyRun {
  numRuns: number;
  seed?: number;
  path?: string;
  /** Called every 1,000 sequences (the benchmark's log). */
  progress?: (sequences: number, stats: RunStats) => void;
}

/** Runs the property; on failure the error names seed and path (fast-check's report), so the sequence can be replayed. */
export async function checkPruneProperty(run: PropertyRun): Promise<{ stats: RunStats; ms: number }> {
  const stats = emptyStats();
  const started = performance.now();
  const progress = run.progress;
  await fc.assert(pruneProperty(stats, progress ? (n) => progress(n, stats) : undefined), {
    numRuns: run.numRuns,
    seed: run.seed ?? PROPERTY_SEED,
    ...(run.path ? { path: run.path } : {}),
  });
  return { stats, ms: performance.now() - started };
}
