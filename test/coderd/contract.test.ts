// Contract against the swagger document the real coderd serves
// (CODER_SWAGGER_ENABLE=true), not only the one in ../shared: the contract
// suite (every client method against the simulator, every answer validated)
// runs again with the served document, and every call the CLI makes to the
// real server is an operation that document defines.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwaggerContract } from '../../src/coder-sim/contract.ts';
import { VERSION_PROFILES } from '../../src/coder-sim/versions.ts';
import { coderdBinaries } from './coderd.ts';
import { startCoderdCli, uniqueName, workspaceYaml, type CoderdCli } from './cli-harness.ts';
import { server, world } from './world.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
let servedPath: string;
let served: SwaggerContract;

beforeAll(async () => {
  const res = await fetch(`${server().url}/swagger/doc.json`);
  expect(res.status, 'coderd serves its swagger document').toBe(200);
  const text = await res.text();
  dir = await mkdtemp(join(tmpdir(), 'cwo-served-swagger-'));
  servedPath = join(dir, 'swagger.json');
  await writeFile(servedPath, text);
  // Kept beside the binary too, to run the contract suite by hand:
  // CODER_SWAGGER=<that file> npx vitest run test/contract
  await writeFile(join(dirname(coderdBinaries(world().version).coder), 'swagger.json'), text);
  served = new SwaggerContract(JSON.parse(text));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** The simulator plays the version under test: every version this tier runs has a profile. */
function simulatedVersion(): string {
  const version = world().version.replace(/^v/, '');
  if (!(version in VERSION_PROFILES)) throw new Error(`the simulator has no profile for Coder ${version} (src/coder-sim/versions.ts)`);
  return version;
}

describe(`the swagger coderd ${world().version} serves`, () => {
  it('the contract suite passes with it', async () => {
    const vitest = join(ROOT, 'node_modules', '.bin', 'vitest');
    const result = await run(vitest, ['run', 'test/contract', '--reporter=dot'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CODER_SWAGGER: servedPath,
        CODER_SIM_VERSION: simulatedVersion(),
        CI: 'true',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      maxBuffer: 16 << 20,
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout}${e.stderr}` }),
    );
    expect(result.code, result.out.slice(-4000)).toBe(0);
    // Every test ran and passed: none skipped for want of the document.
    const counts = /Tests\s+(\d+) passed \((\d+)\)/.exec(result.out);
    expect(counts, result.out.slice(-2000)).not.toBeNull();
    expect(counts![1]).toBe(counts![2]);
  });

  it('every call the CLI made to the real server is an operation it defines', async () => {
    const t: CoderdCli = await startCoderdCli();
    try {
      const name = uniqueName('contract');
      await t.declare(
        workspaceYaml(name, { owner: 'ann', template: 'plain', ttl: '2h', favorite: true, autostart: { schedule: '0 9 * * 1-5' } }),
      );
      expect((await t.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
      await t.declare(
        workspaceYaml(name, { owner: 'ann', template: 'plain', ttl: '3h', favorite: false, dormant: true, deletionPolicy: 'Delete' }),
      );
      expect((await t.cli(['apply', '-f', 'ws.yaml'])).code).toBe(0);
      await t.declare(workspaceYaml(uniqueName('other'), { owner: 'ann', template: 'plain' }));
      expect((await t.cli(['apply', '-f', 'ws.yaml', '--prune'])).code).toBe(0);
      expect(t.proxy.calls.length).toBeGreaterThan(5);
      const unknown = t.proxy.calls.filter((c) => !served.matchOperation(c.method, c.path)).map((c) => `${c.method} ${c.path}`);
      expect(unknown).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('coderd runs in a network namespace with nothing but loopback', () => {
    expect(world().links).toEqual(['lo']);
  });
});
