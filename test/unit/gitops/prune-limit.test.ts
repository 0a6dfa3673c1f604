import { describe, expect, it } from 'vitest';
import { parsePruneLimit, pruneRefusal } from '../../../src/gitops/prune-limit.ts';

describe('--max-prune', () => {
  it.each([
    ['10', { count: 10 }],
    ['0', { count: 0 }],
    ['25%', { percent: 25 }],
    ['ALL', 'all'],
    ['-1', undefined],
    ['101%', undefined],
    ['ten', undefined],
    ['', undefined],
  ])('parses %j', (text, want) => {
    expect(parsePruneLimit(text)).toEqual(want);
  });

  it('refuses past a count, or past a share of the managed workspaces in scope', () => {
    expect(pruneRefusal({ count: 10 }, 10, 100)).toBeUndefined();
    expect(pruneRefusal({ count: 10 }, 11, 100)).toMatch(/^prune would delete 11 workspaces, more than --max-prune 10;/);
    expect(pruneRefusal({ percent: 50 }, 5, 10)).toBeUndefined();
    expect(pruneRefusal({ percent: 50 }, 6, 10)).toMatch(/more than --max-prune 50% \(50% of the 10 managed here\)/);
    expect(pruneRefusal({ count: 0 }, 0, 10)).toBeUndefined();
    expect(pruneRefusal('all', 1000, 1000)).toBeUndefined();
  });
});
