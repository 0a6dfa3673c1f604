// The chart README's values table is generated from values.yaml's `# --`
// comments (scripts/chart/readme.ts): it must match, and every value must be documented.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_BEGIN, TABLE_END, valueRows, withValuesTable } from '../../../scripts/chart/values-table.ts';

const CHART = join(import.meta.dirname, '../../../helm/coder-workspace-operator');
const values = readFileSync(join(CHART, 'values.yaml'), 'utf8');
const readme = readFileSync(join(CHART, 'README.md'), 'utf8');

describe('chart README values table', () => {
  it('is the one values.yaml gives (run node scripts/chart/readme.ts after changing a value)', () => {
    expect(withValuesTable(readme, values)).toBe(readme);
  });

  it('has a row for every top-level value', () => {
    const keys = new Set(valueRows(values).map((r) => r.key.split('.')[0]));
    const top = Object.keys(
      (readFileSync(join(CHART, 'values.schema.json'), 'utf8') && JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')))
        .properties,
    ).filter((k) => k !== 'global');
    expect([...keys].sort()).toEqual(top.sort());
  });

  it('refuses a value without a `# --` comment, naming it', () => {
    expect(() => valueRows('# -- documented\na: 1\nb:\n  c: 2\n')).toThrow(/b\.c/);
  });

  it('describes a commented map in one row with its whole default, and an uncommented one key by key', () => {
    const rows = valueRows('# -- all of it\nres:\n  cpu: 1\nmeta:\n  # -- the name\n  name: x\n  # -- a list\n  tags: [a, "b|c"]\n');
    expect(rows).toEqual([
      { key: 'res', type: 'object', default: '{"cpu":1}', description: 'all of it' },
      { key: 'meta.name', type: 'string', default: '"x"', description: 'the name' },
      { key: 'meta.tags', type: 'list', default: '["a","b|c"]', description: 'a list' },
    ]);
    const table = withValuesTable(`x\n${TABLE_BEGIN}\nstale\n${TABLE_END}\ny\n`, '# -- p\np: "a|b"\n');
    expect(table).toContain('| `p` | string | `"a\\|b"` | p |');
    expect(table).not.toContain('stale');
  });

  it('keeps only the last `-- ` block of a comment (a file header above the first key is not its description)', () => {
    expect(valueRows('# Header of the file.\n\n# -- The first value.\nfirst: 1\n')[0]!.description).toBe('The first value.');
  });
});
