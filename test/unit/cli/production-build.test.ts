// The Coder simulator (src/coder-sim) is for tests, the demo and the benchmark:
// nothing a user installs or the image runs may contain or import it. tsc
// lists every file `npm run build` compiles, the excluded folder and anything
// a production module imports from it alike, so one listing answers both.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

describe('what npm run build and the image ship', () => {
  it('compiles the CLI and the operator, and no file of the simulator', { timeout: 180_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const ours = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((file) => file.startsWith(`${ROOT}/src/`))
      .map((file) => file.slice(ROOT.length + 1));
    expect(ours).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/controller/operator.ts', 'src/cli/run-operator.ts']));
    expect(ours.filter((file) => file.startsWith('src/coder-sim/'))).toEqual([]);
  });

  it('keeps the simulator out of the image build context and the npm package', () => {
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    // An allow-list: the exclusion must come after the line that lets src/ in.
    expect(dockerignore.indexOf('src/coder-sim/')).toBeGreaterThan(dockerignore.indexOf('!src/**'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files?: string[]; bin: Record<string, string> };
    expect(pkg.files).toEqual(['dist/', 'crds/', 'CHANGELOG.md']);
    for (const bin of Object.values(pkg.bin)) expect(bin.startsWith('dist/')).toBe(true);
  });
});
