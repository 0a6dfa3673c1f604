// Installable: the tarball `npm pack` makes (prepack builds it), installed
// into an empty directory on Node 24, runs `cwo --help`, `validate` and
// `plan` against the simulator. Dependencies come from npm's cache when it
// has them (--offline), else from the registry (--prefer-offline).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
// The Node that runs the tests (24, from the node dev dependency) comes first, for npm and for the installed bin.
const PATH = [dirname(process.execPath), join(ROOT, 'node_modules/.bin'), process.env.PATH ?? ''].join(delimiter);
const env = {
  PATH,
  HOME: process.env.HOME ?? '',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

let h: Harness;
let work: string;

beforeAll(async () => {
  h = await startHarness({ seed: SEED });
  work = await mkdtemp(join(tmpdir(), 'cwo-pack-'));
});

afterAll(async () => {
  await h.close();
  await rm(work, { recursive: true, force: true });
});

it('npm pack, installed into an empty directory, runs --help, validate and plan', { timeout: 600_000 }, async () => {
  await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, env, maxBuffer: 1 << 26 });
  const [tarball] = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
  expect(tarball).toMatch(/^coder-workspace-operator-\d+\.\d+\.\d+\.tgz$/);
  const listing = (await run('tar', ['tzf', join(work, tarball!)], { env })).stdout.split('\n');
  expect(listing).toEqual(expect.arrayContaining(['package/LICENSE', 'package/CHANGELOG.md', 'package/dist/cli/main.js']));
  expect(listing.filter((f) => f.includes('coder-sim'))).toEqual([]);

  const app = join(work, 'app');
  await run('mkdir', [app]);
  const install = (mode: string) =>
    run('npm', ['install', mode, '--omit=dev', join(work, tarball!)], { cwd: app, env, maxBuffer: 1 << 26 });
  await install('--offline').catch(() => install('--prefer-offline'));

  expect((await run('node', ['--version'], { env })).stdout).toMatch(/^v24\./);
  const cwo = join(app, 'node_modules/.bin/cwo');
  const help = await run(cwo, ['--help'], { cwd: app, env });
  for (const command of ['validate', 'plan', 'apply', 'status', 'sync', 'run', 'completion'])
    expect(help.stdout).toContain(`  ${command} `);

  await h.write('ws.yaml', workspaceYaml('packed', { owner: 'alice', template: 'docker', ttl: '4h' }));
  const validate = await run(cwo, ['validate', '-f', join(h.dir, 'ws.yaml')], { cwd: app, env });
  expect(validate.stdout).toBe('✓ 1 workspace(s) in 1 file(s) valid.\n');

  const plan = await run(cwo, ['plan', '-f', join(h.dir, 'ws.yaml'), '--no-state'], {
    cwd: app,
    env: { ...env, CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin') },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => e,
  );
  expect(plan.code).toBe(2);
  expect(plan.stdout).toContain('+ create team-a/packed (owner alice, template docker, name packed, ttl 4h, autostart off)');
});
