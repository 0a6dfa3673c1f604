// The operator image under podman, as the e2e tier runs it: no Docker engine,
// Debian's podman as root on the storage scripts/image/engine.sh picks, and
// runc (crun refuses this machine's hybrid cgroups). The image is built by
// scripts/image/build.sh (.ci/run does it before this tier); CWO_IMAGE names another one.
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const IMAGE = process.env.CWO_IMAGE ?? 'localhost/coder-workspace-operator:ci';
const ENGINE = resolve(import.meta.dirname, '../../scripts/image/engine.sh');
/** podman's defaults ask for more open files and processes than this host allows (20,000). */
const RUN_DEFAULTS = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function podman(args: string[], timeoutMs = 180_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('bash', [ENGINE, 'podman', ...args], { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

export async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const ran = await podman(args, timeoutMs);
  if (ran.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${ran.code}): ${ran.stderr}`);
  return ran.stdout;
}

/** Whether podman runs here and the image exists (checked once, synchronously, at file load). */
export function imagePresent(): { podman: boolean; image: boolean } {
  const version = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { podman: false, image: false };
  const exists = spawnSync('bash', [ENGINE, 'podman', 'image', 'exists', IMAGE]);
  return { podman: true, image: exists.status === 0 };
}

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };

export interface PodContainer {
  args: string[];
  env: EnvVar[];
  securityContext: {
    runAsUser: number;
    runAsGroup: number;
    readOnlyRootFilesystem: boolean;
    allowPrivilegeEscalation: boolean;
    capabilities: { drop: string[] };
  };
  resources: { limits: { memory: string } };
  volumeMounts: { name: string; mountPath: string }[];
}

export interface RenderedPod {
  deployment: any;
  container: PodContainer;
  terminationGracePeriodSeconds: number;
  tmpSizeLimit: string;
}

/** The operator Deployment of `helm template` output: its one container and the Pod settings podman must copy. */
export function operatorPod(rendered: string): RenderedPod {
  const deployment = parseAllDocuments(rendered)
    .map((d) => d.toJS())
    .find((d) => d?.kind === 'Deployment');
  if (!deployment) throw new Error('helm template rendered no Deployment');
  const pod = deployment.spec.template.spec;
  const tmp = pod.volumes.find((v: any) => v.name === 'tmp');
  return {
    deployment,
    container: pod.containers[0],
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds,
    tmpSizeLimit: tmp?.emptyDir?.sizeLimit,
  };
}

/** Kubernetes' $(VAR) expansion of args from the container's env (fieldRefs given by the caller). */
export function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole));
}

/** The container's env with fieldRefs resolved as the kubelet would. */
export function resolveEnv(vars: EnvVar[], fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars) {
    const path = v.valueFrom?.fieldRef?.fieldPath;
    const value = path !== undefined ? fields[path] : v.value;
    if (value === undefined) throw new Error(`env ${v.name}: no value for ${path ?? 'it'}`);
    out[v.name] = value;
  }
  return out;
}

/** Mebibytes for podman's --memory and --tmpfs size (Kubernetes quantities "256Mi", "64Mi"). */
export function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`cannot read the quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/**
 * podman run flags that give the container what the kubelet gives the Pod: the
 * user, a read-only root with /tmp as a size-limited tmpfs (the emptyDir), no
 * capabilities, no privilege escalation, the memory limit, host networking.
 */
export function podmanRunFlags(pod: RenderedPod): string[] {
  const sc = pod.container.securityContext;
  if (!sc.readOnlyRootFilesystem || sc.allowPrivilegeEscalation || !sc.capabilities.drop.includes('ALL'))
    throw new Error(`the chart's securityContext changed: ${JSON.stringify(sc)}; update podmanRunFlags`);
  if (!pod.container.volumeMounts.some((m) => m.name === 'tmp' && m.mountPath === '/tmp')) throw new Error('the chart mounts no /tmp');
  return [
    ...RUN_DEFAULTS,
    '--network',
    'host',
    '--user',
    `${sc.runAsUser}:${sc.runAsGroup}`,
    '--read-only',
    '--read-only-tmpfs=false',
    '--tmpfs',
    `/tmp:rw,size=${mebibytes(pod.tmpSizeLimit)}m,mode=1777`,
    '--cap-drop=ALL',
    '--security-opt',
    'no-new-privileges',
    '--memory',
    `${mebibytes(pod.container.resources.limits.memory)}m`,
  ];
}

export { RUN_DEFAULTS };
