// Writes crds/*.yaml from src/api/schema.ts (`npm run crds`). CI fails when
// the checked-in files differ (test/unit/api/crd.test.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdFiles } from '../src/api/crd.ts';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');
mkdirSync(outDir, { recursive: true });
for (const { file, text } of crdFiles()) {
  writeFileSync(join(outDir, file), text);
  console.log(`wrote crds/${file}`);
}
