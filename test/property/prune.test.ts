// Issue 18's invariants over the CLI's prune and identity logic, checked on
// generated sequences of runs against the simulator (prune-world.ts says
// what is generated and how each delete is checked). A failure prints the
// seed and path: replay with CWO_PROPERTY_SEED / CWO_PROPERTY_PATH.
import { describe, expect, it } from 'vitest';
import { checkPruneProperty, PROPERTY_SEED } from './prune-properties.ts';

const RUNS = Number(process.env.CWO_PROPERTY_RUNS ?? 1000);

describe('prune and identity invariants (generated sequences of runs)', () => {
  it(`${RUNS} sequences: a workspace is deleted only when its own source, undeclared, last said Delete, within --max-prune`, async () => {
    const seed = process.env.CWO_PROPERTY_SEED ? Number(process.env.CWO_PROPERTY_SEED) : PROPERTY_SEED;
    const { stats, ms } = await checkPruneProperty({
      numRuns: RUNS,
      seed,
      ...(process.env.CWO_PROPERTY_PATH ? { path: process.env.CWO_PROPERTY_PATH } : {}),
    });
    console.log(
      `prune property: ${RUNS} sequences, seed ${seed}, ${stats.runs} runs, ${stats.crashes} crashes, ${stats.deletes} deletes, ${stats.refused} without effect, ${Math.round(ms)} ms`,
    );
    // A property whose sequences never delete or never crash proves nothing about those paths.
    expect(stats.deletes).toBeGreaterThan(RUNS / 20);
    expect(stats.crashes).toBeGreaterThan(RUNS / 10);
    // A hang guard, not a budget: on a loaded 2-core machine 1,000 sequences took about a minute.
  }, 900_000);
});
