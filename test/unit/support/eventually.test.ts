// The tests' one wait helper: what it returns, what it retries, when it stops.
import { describe, expect, it } from 'vitest';
import { eventually, GiveUp } from '../../support/eventually.ts';

describe('eventually', () => {
  it('returns the first value that is neither undefined nor false, after retrying throws', async () => {
    const answers: unknown[] = [undefined, false, new Error('not yet'), 0, 'late'];
    let tries = 0;
    const value = await eventually(
      'a value',
      () => {
        const a = answers[tries++];
        if (a instanceof Error) throw a;
        return a as number | undefined | false;
      },
      60_000,
      { everyMs: 1 },
    );
    expect(value).toBe(0);
    expect(tries).toBe(4);
  });

  it('stops at once on GiveUp, with the detail', async () => {
    let tries = 0;
    const wait = eventually(
      'the job',
      () => {
        tries += 1;
        throw new GiveUp('it failed');
      },
      60_000,
      { detail: () => 'log tail' },
    );
    await expect(wait).rejects.toThrow('gave up waiting for the job: it failed\nlog tail');
    expect(tries).toBe(1);
  });

  it('times out naming what it waited for and the last error', async () => {
    let tries = 0;
    const wait = eventually(
      'the moon',
      async () => {
        tries += 1;
        throw new Error(`try ${tries}`);
      },
      0,
      { everyMs: 1 },
    );
    await expect(wait).rejects.toThrow(/^timed out after 0 ms waiting for the moon: Error: try \d+$/);
  });
});
