// The setup every CLI-against-the-simulator test file wrote out: a fresh
// harness (simulator, temp dir, CLI runner) for each test, closed after it,
// and the test failed when the simulator's traffic broke Coder's API contract.
import { afterEach, beforeEach, expect } from 'vitest';
import type { SimulatorOptions } from '../../src/coder-sim/index.ts';
import { type Harness, startHarness } from '../integration/harness.ts';

/** Closes `h`, then fails the test if any request or answer it saw is outside swagger.json (checked before close loses the calls). */
export async function closeHarness(h: Harness): Promise<void> {
  const problems = h.contractProblems();
  await h.close();
  expect(problems).toEqual([]);
}

/**
 * Registers beforeEach/afterEach for a harness started with `options` for
 * each test of the calling file (or describe block). Returns a stand-in that
 * forwards to the running test's harness, so test bodies call `h.cli(...)`
 * as on a harness of their own; using it outside a test throws.
 */
export function harnessPerTest(options: SimulatorOptions = {}): Harness {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(options);
  });
  afterEach(async () => {
    const h = current;
    current = undefined;
    if (h) await closeHarness(h);
  });
  const running = (): Harness => {
    if (!current) throw new Error('harnessPerTest: no harness outside a test (it starts in beforeEach)');
    return current;
  };
  return {
    get sim() {
      return running().sim;
    },
    get dir() {
      return running().dir;
    },
    write: (name, text) => running().write(name, text),
    cli: (args, opts) => running().cli(args, opts),
    writes: () => running().writes(),
    contractProblems: () => running().contractProblems(),
    resetCalls: () => running().resetCalls(),
    close: () => running().close(),
  };
}
