// Smoke test of `coder-workspace-operator run` on the real control plane:
// the operator as a child process (admin kubeconfig), a Coder simulator on
// 127.0.0.1, a Secret + CoderConnection pointing at it; kubectl apply a
// Workspace -> `kubectl wait --for=condition=Ready` succeeds and the
// simulator has the workspace; SIGTERM -> exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCoderSimulator, type CoderSimulator } from '../../src/coder-sim/index.ts';
import { freshNamespace, installCrds, kubectl, kubectlOk } from './kubectl.ts';
import { eventually } from '../support/eventually.ts';

let sim: CoderSimulator;
let ns: string;
let operator: ChildProcess;
let stderr = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  await installCrds();
  sim = await startCoderSimulator({ rateLimitPerMinute: 0, buildDurationMs: 300 });
  ns = await freshNamespace('op-smoke');
  await kubectlOk(['create', 'secret', 'generic', 'coder-token', '-n', ns, `--from-literal=token=${sim.tokenFor('admin')}`]);
  // The opt-in the operator needs before it uses a Secret as a Coder token (docs/operator/security.md).
  await kubectlOk(['label', 'secret', 'coder-token', '-n', ns, 'coderops.dev/secret-type=coder-token']);
  await kubectlOk(['apply', '-n', ns, '-f', '-'], {
    // A person's smallest manifest, written out: no namespace (kubectl -n gives it), the key left to its default.
    stdin: JSON.stringify({
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'CoderConnection',
      metadata: { name: 'default' },
      spec: { url: sim.url, tokenSecretRef: { name: 'coder-token' } },
    }),
  });
  operator = spawn(
    process.execPath,
    [
      'src/cli/main.ts',
      'run',
      '--kubeconfig',
      inject('kubeconfig'),
      '--namespaces',
      ns,
      '--metrics-bind-address',
      '0',
      '--health-probe-bind-address',
      '0',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  operator.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  exited = new Promise((resolve) => operator.on('exit', (code) => resolve(code)));
});

afterAll(async () => {
  if (operator && operator.exitCode === null) operator.kill('SIGKILL');
  await sim?.close();
});

describe('operator smoke', () => {
  it('kubectl apply -> Ready, and the workspace exists in the simulator', async () => {
    // Measure from a running operator, not from process start.
    await eventually('the operator to start its workers', () => stderr.includes('workers started'), 30_000, {
      everyMs: 50,
      detail: () => stderr,
    });
    const started = Date.now();
    await kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: 'smoke' },
        spec: { owner: 'alice', template: 'docker', ttl: '2h' },
      }),
    });
    const waited = await kubectl(['wait', '-n', ns, '--for=condition=Ready', '--timeout=45s', 'cws/smoke']);
    expect(waited.code, `${waited.stderr}\noperator log:\n${stderr}`).toBe(0);
    process.stdout.write(`[operator-smoke] apply -> Ready in ${Date.now() - started} ms\n`);
    const alice = sim.state.findUser('alice')!;
    expect(sim.state.findLiveWorkspace(alice.id, 'smoke')).toBeDefined();
    const ws = JSON.parse(await kubectlOk(['get', '-n', ns, 'cws/smoke', '-o', 'json']));
    // The default deletionPolicy Orphan needs no cleanup on delete, hence no finalizer.
    expect(ws.metadata.finalizers ?? []).not.toContain('coderops.dev/finalizer');
    expect(ws.status.id).toBeTruthy();
    expect(ws.status.ttl).toBe('2h');
  });

  it('SIGTERM: drains and exits 0', async () => {
    operator.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
  });
});
