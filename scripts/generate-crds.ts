// Writes the CRDs generated from src/api/schema.ts (`npm run crds`) to crds/
// and to the Helm chart's crds/. CI fails when a checked-in copy differs
// (test/unit/api/crd.test.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdFiles } from '../src/api/crd.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CRD_DIRS = ['crds', join('helm', 'coder-workspace-operator', 'crds')];

for (const dir of CRD_DIRS) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const { file, text } of crdFiles()) {
    writeFileSync(join(root, dir, file), text);
    console.log(`wrote ${join(dir, file)}`);
  }
}
