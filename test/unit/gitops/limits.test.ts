// The read bounds on their own: the budget shared by every file of a run,
// and the document scan that runs before the YAML parser.
import { describe, expect, it } from 'vitest';
import { documentLimitErrors, LIMITS, ReadBudget } from '../../../src/gitops/limits.ts';

describe('ReadBudget', () => {
  it('refuses a file over the file bound, then the file past the run bounds once, then silently', () => {
    const budget = new ReadBudget();
    expect(budget.take(LIMITS.fileBytes + 1)).toMatch(/^is 8\.0 MiB, more than the 8\.0 MiB/);
    for (let i = 0; i < LIMITS.files; i++) expect(budget.take(1)).toBeUndefined();
    expect(budget.take(1)).toBe('not read: the paths given hold more than 10000 declaration files, the most one run reads');
    expect(budget.take(1)).toBe('');
  });

  it('counts bytes across files', () => {
    const budget = new ReadBudget();
    for (let i = 0; i < 8; i++) expect(budget.take(LIMITS.fileBytes)).toBeUndefined();
    expect(budget.take(1)).toBe('not read: the paths given hold more than 64.0 MiB of declaration files, the most one run reads');
  });
});

describe('documentLimitErrors', () => {
  const doc = (n: number) => `a: ${'x'.repeat(n)}\n`;
  it('numbers documents as the parser does: content before the first --- is document 1, comments alone are not', () => {
    const big = doc(LIMITS.documentBytes);
    expect(documentLimitErrors('f.yaml', `${doc(1)}---\n${big}`)).toEqual([
      { file: 'f.yaml', document: 2, line: 2, message: expect.stringContaining('the document is 2.0 MiB, more than the 2.0 MiB') },
    ]);
    expect(documentLimitErrors('f.yaml', `# comment\n---\n${big}---\n${doc(1)}`)).toMatchObject([{ document: 1, line: 2 }]);
    expect(documentLimitErrors('f.json', big)).toMatchObject([{ document: 1, line: 1 }]);
  });

  it('leaves a --- inside a line alone and stops counting at the bound', () => {
    expect(documentLimitErrors('f.yaml', `a: "x --- y"\n${'b: ---\n'.repeat(LIMITS.documentsPerFile)}`)).toEqual([]);
    expect(documentLimitErrors('f.yaml', '---\n'.repeat(LIMITS.documentsPerFile))).toEqual([]);
    expect(documentLimitErrors('f.yaml', '---\n'.repeat(LIMITS.documentsPerFile + 1))).toEqual([
      {
        file: 'f.yaml',
        document: LIMITS.documentsPerFile + 1,
        line: LIMITS.documentsPerFile + 1,
        message: 'has more than 50000 documents, the most one file may have; split it',
      },
    ]);
  });
});
