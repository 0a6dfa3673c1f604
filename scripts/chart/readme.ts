// Writes the values table of helm/coder-workspace-operator/README.md from
// values.yaml's `# --` comments. `--check` writes nothing and exits 1 when the
// README is out of date (test/unit/chart/readme.test.ts does the same on CI).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withValuesTable } from './values-table.ts';

const chart = join(import.meta.dirname, '..', '..', 'helm', 'coder-workspace-operator');
const readmePath = join(chart, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = withValuesTable(readme, readFileSync(join(chart, 'values.yaml'), 'utf8'));
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error(`${readmePath}: the values table is out of date; run node scripts/chart/readme.ts`);
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(readmePath, updated);
  console.log(`wrote ${readmePath}`);
}
