// The operator as users run it: the image built from our Dockerfile
// (scripts/image/build.sh), started by podman the way the kubelet starts the
// chart's Pod. Its args and env are the Deployment's from `helm template` (so
// they cannot drift from the chart), $(VAR)s expanded as Kubernetes does; uid
// 65532, read-only root with /tmp as a size-limited tmpfs (the chart's emptyDir),
// no capabilities, the memory limit, host network; the API server reached
// through the in-cluster service-account files and KUBERNETES_SERVICE_* env,
// as in a Pod. Then `cwo sync` from the same image against a real git repository.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGitFixture, wsYaml } from '../unit/gitops/git-fixture.ts';
import { requiredOnCi } from '../support/real-part.ts';
import { freePort } from '../control-plane/processes.ts';
import { helm, kubectl } from './kubectl.ts';
import { IMAGE, expandArgs, imagePresent, operatorPod, podman, podmanOk, podmanRunFlags, resolveEnv, type RenderedPod } from './image.ts';
import { apply, eventually, httpGetText, measure, setUpOperatorEnv, waitSettled, workspace, type OperatorEnv } from './operator-harness.ts';

const CHART = resolve(import.meta.dirname, '../../helm/coder-workspace-operator');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const UID = 65532;
const have = imagePresent();
requiredOnCi('podman', have.podman, 'apt-get install podman buildah runc (Debian)');
requiredOnCi('the operator image', have.image, `bash scripts/image/build.sh (builds ${IMAGE})`);

let env: OperatorEnv;
let pod: RenderedPod;
let ports: { metrics: number; probes: number };
let container: string;
const stopped: string[] = [];

/** A directory the container's user can read (mkdtemp makes 0700 ones). */
function sharedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** GET from inside the container, with the image's own node (no curl in it). */
async function fetchInside(url: string): Promise<{ status: number; body: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())), (e) => { console.error(String(e)); process.exit(3); })`;
  const out = await podmanOk(['exec', container, 'node', '-e', script], 60_000);
  const nl = out.indexOf('\n');
  return { status: Number(out.slice(0, nl)), body: out.slice(nl + 1) };
}

async function leaseHolder(): Promise<string> {
  const ran = await kubectl(['get', 'lease', 'coder-workspace-operator', '-n', env.operatorNs, '-o', 'jsonpath={.spec.holderIdentity}']);
  return ran.code === 0 ? ran.stdout.trim() : `(no lease: ${ran.stderr.trim()})`;
}

describe.runIf(have.image)('the operator image, run as the chart runs it', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    env = await setUpOperatorEnv();
    ports = { metrics: await freePort(), probes: await freePort() };
    // The chart's own Deployment for this install: watched namespace, and ports free on this host.
    const rendered = await helm([
      'template',
      'cwo',
      CHART,
      '-n',
      env.operatorNs,
      '--set',
      `watchNamespaces={${env.teams.join(',')}}`,
      '--set',
      `metrics.port=${ports.metrics}`,
      '--set',
      `healthProbe.port=${ports.probes}`,
    ]);
    if (rendered.code !== 0) throw new Error(`helm template: ${rendered.stderr}`);
    pod = operatorPod(rendered.stdout);
    container = `cwo-e2e-${randomBytes(3).toString('hex')}`;

    // The service-account files a Pod gets: the chart's ServiceAccount's token (TokenRequest), the cluster CA, the namespace.
    const sa = sharedDir('cwo-image-sa-');
    const token = JSON.parse(readFileSync(env.saKubeconfig, 'utf8')).users[0].user.token;
    const admin = JSON.parse(readFileSync(inject('kubeconfig'), 'utf8'));
    writeFileSync(join(sa, 'token'), token, { mode: 0o644 });
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(admin.clusters[0].cluster['certificate-authority-data'], 'base64'), { mode: 0o644 });
    writeFileSync(join(sa, 'namespace'), env.operatorNs, { mode: 0o644 });
    const server = new URL(inject('server'));

    const fields = { 'metadata.namespace': env.operatorNs, 'metadata.name': container };
    const podEnv = resolveEnv(pod.container.env, fields);
    const runFlags = podmanRunFlags(pod);
    const args = expandArgs(pod.container.args, podEnv);
    const started = Date.now();
    await podmanOk([
      'run',
      '--detach',
      '--name',
      container,
      ...runFlags,
      '--volume',
      `${sa}:${SA_DIR}:ro`,
      '--env',
      `KUBERNETES_SERVICE_HOST=${server.hostname}`,
      '--env',
      `KUBERNETES_SERVICE_PORT=${server.port}`,
      ...Object.entries(podEnv).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      IMAGE,
      ...args,
    ]);
    await eventually(
      `${container} /readyz`,
      async () => {
        const state = (await podman(['inspect', container, '--format', '{{.State.Status}}'])).stdout.trim();
        if (state === 'exited') throw new Error(`${container} exited:\n${(await podman(['logs', container])).stderr.slice(-3000)}`);
        return (await httpGetText(`http://127.0.0.1:${ports.probes}/readyz`)).status === 200;
      },
      150_000,
    );
    measure(`image: podman run -> /readyz in ${Date.now() - started} ms (args ${JSON.stringify(args)})`);
  }, 300_000);

  afterAll(async () => {
    if (container && !stopped.includes(container)) {
      const logs = await podman(['logs', '--tail', '40', container]);
      if (logs.stderr) process.stdout.write(`[${container} log tail]\n${logs.stderr}\n`);
    }
    if (container) await podman(['rm', '--force', '--time', '0', container]);
    await env?.close();
  }, 120_000);

  it('is the image the build checks promise: user 65532, no simulator, no dev dependencies', async () => {
    const image = JSON.parse(await podmanOk(['image', 'inspect', IMAGE]))[0];
    expect(image.Config.User).toBe(`${UID}:${UID}`);
    expect(image.Config.Entrypoint).toEqual(['node', '--max-semi-space-size=4', '--optimize-for-size', 'dist/cli/main.js']);
    const absent = [
      '/app/dist/coder-sim',
      '/app/src',
      '/app/node_modules/typescript',
      '/app/node_modules/vitest',
      '/app/node_modules/node',
    ];
    const ran = await podman(['exec', container, 'sh', '-c', absent.map((p) => `test ! -e ${p}`).join(' && ')]);
    expect(ran.code, `none of ${absent.join(', ')} in the image`).toBe(0);
    measure(`image ${IMAGE}: ${Math.round(image.Size / 1e6)} MB on disk, ${image.RootFS.Layers.length} layers`);
  });

  it('runs as uid 65532 on a read-only root; only /tmp (the emptyDir) is writable', async () => {
    expect((await podmanOk(['exec', container, 'id', '-u'])).trim()).toBe(String(UID));
    const root = await podman(['exec', container, 'sh', '-c', 'touch /app/x']);
    expect(root.code, 'the root filesystem refuses writes').not.toBe(0);
    expect(root.stderr).toMatch(/Read-only file system/);
    expect((await podman(['exec', container, 'sh', '-c', 'touch /tmp/x && rm /tmp/x'])).code).toBe(0);
    // The process holds no capability.
    const caps = await podmanOk(['exec', container, 'sh', '-c', 'grep CapEff /proc/1/status']);
    expect(caps).toMatch(/CapEff:\s+0+\s*$/);
  });

  it('answers /healthz, /readyz and /metrics from inside the container', async () => {
    expect(await fetchInside(`http://127.0.0.1:${ports.probes}/healthz`)).toMatchObject({ status: 200 });
    expect(await fetchInside(`http://127.0.0.1:${ports.probes}/readyz`)).toMatchObject({ status: 200 });
    const metrics = await fetchInside(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^cwo_leader 1$/m);
    expect(metrics.body).toMatch(/^cwo_process_resident_memory_bytes \d+/m);
  });

  it("reconciles Workspaces against Coder (the simulator) as the chart's ServiceAccount", async () => {
    const ns = env.teams[0]!;
    await apply(
      workspace(ns, 'alice-dev', { owner: 'alice', template: 'docker', ttl: '5h' }),
      workspace(ns, 'bob-dev', { owner: 'bob', template: 'docker', ttl: '5h' }),
    );
    for (const name of ['alice-dev', 'bob-dev']) await waitSettled(ns, name, undefined, 60_000);
    const inCoder = [...env.sim.state.workspaces.values()].map((w) => w.name);
    expect(inCoder).toEqual(expect.arrayContaining(['alice-dev', 'bob-dev']));
    const metrics = (await fetchInside(`http://127.0.0.1:${ports.metrics}/metrics`)).body;
    expect(metrics).toMatch(/^cwo_reconcile_total\{result="success"\} [1-9]/m);
    expect(metrics).toMatch(/^cwo_coder_request_duration_seconds_count\{method="POST",route="[^"]+"\} [1-9]/m);
    expect(await leaseHolder()).toMatch(new RegExp(`^${container}`));
  });

  it("on SIGTERM releases the Lease and exits 0 within the Pod's grace period", async () => {
    const grace = pod.terminationGracePeriodSeconds;
    const t0 = Date.now();
    // podman stop: SIGTERM (the image's stop signal), SIGKILL after `grace` seconds, as the kubelet does.
    await podmanOk(['stop', '--time', String(grace), container], (grace + 60) * 1000);
    const stopMs = Date.now() - t0;
    stopped.push(container);
    const state = JSON.parse(await podmanOk(['inspect', container]))[0].State;
    const logs = (await podman(['logs', '--tail', '30', container])).stderr;
    measure(`image: podman stop (SIGTERM) -> exit ${state.ExitCode} in ${stopMs} ms (grace ${grace} s)`);
    expect(state.ExitCode, logs).toBe(0);
    expect(stopMs).toBeLessThan(grace * 1000);
    expect(await leaseHolder(), 'the Lease is released (no holder), not left to expire').toBe('');
  });
});

describe.runIf(have.image)('cwo sync from the image', { timeout: 240_000 }, () => {
  it('applies the declarations of a real git repository (a bare repository mounted read-only)', async () => {
    const { startCoderSimulator } = await import('../../src/coder-sim/index.ts');
    const sim = await startCoderSimulator({
      seed: { users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }], templates: [{ name: 'docker' }] },
    });
    try {
      const root = sharedDir('cwo-image-git-');
      const repo = createGitFixture(root);
      const commit = repo.commit({ 'workspaces/alice.yaml': wsYaml('alice-sync', { owner: 'alice' }) });
      // Owned by the container's user, as a repository checked out by that user would be (git refuses others' repositories).
      const out = sharedDir('cwo-image-out-');
      const rendered = await helm(['template', 'cwo', CHART]);
      expect(rendered.code, rendered.stderr).toBe(0);
      const runFlags = podmanRunFlags(operatorPod(rendered.stdout));
      for (const p of [repo.remote, out]) chownToContainerUser(p);
      const ran = await podman(
        [
          'run',
          '--rm',
          ...runFlags,
          '--volume',
          `${repo.remote}:/git/workspaces.git:ro`,
          '--volume',
          `${out}:/out`,
          '--env',
          `CODER_URL=${sim.url}`,
          '--env',
          `CODER_SESSION_TOKEN=${sim.tokenFor('admin')}`,
          IMAGE,
          'sync',
          '--repo',
          '/git/workspaces.git',
          '--ref',
          'main',
          '--path',
          'workspaces/',
          '--once',
          '--state',
          '/out/state.json',
          '--status-file',
          '/out/status.json',
          '--cache-dir',
          '/tmp/git-cache',
        ],
        240_000,
      );
      expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
      const status = JSON.parse(readFileSync(join(out, 'status.json'), 'utf8'));
      expect(status.lastAppliedRevision).toBe(commit);
      expect([...sim.state.workspaces.values()].map((w) => w.name)).toContain('alice-sync');
      // The token reached Coder and nothing else: not the output, not the status file.
      const token = sim.tokenFor('admin');
      expect(ran.stdout + ran.stderr).not.toContain(token);
      expect(readFileSync(join(out, 'status.json'), 'utf8')).not.toContain(token);
    } finally {
      await sim.close();
    }
  });
});

/** chown -R to the container's user (node's fs has no recursive chown). */
function chownToContainerUser(path: string): void {
  const { status, stderr } = spawnSync('chown', ['-R', `${UID}:${UID}`, path], { encoding: 'utf8' });
  if (status !== 0) throw new Error(`chown -R ${UID} ${path} failed: ${stderr}`);
}
