// Process plumbing for the bench: the simulator child, measured CLI runs,
// /proc readings, call summaries and percentiles.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CompactCall, SimChildConfig } from './fixtures.ts';

export const ROOT = resolve(import.meta.dirname, '..');
// The compiled CLI, as the image and `npx coder-workspace-operator` run it;
// bench/main.ts builds it first. Running src/ would add Node's type
// stripping (about 0.2 s of CPU per start) to every figure.
export const CLI = join(ROOT, 'dist/cli/main.js');
const USAGE = join(ROOT, 'bench/usage.ts');

/**
 * How the image runs the operator, read from the Dockerfile so the bench
 * measures it as deployed: the node flags between "node" and
 * "dist/cli/main.js" in ENTRYPOINT, and the ENV lines of the runtime stage.
 */
export function imageRuntime(): { nodeFlags: string[]; env: Record<string, string> } {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime)?.[1];
  const entrypoint = line ? (JSON.parse(line) as string[]) : [];
  const main = entrypoint.indexOf('dist/cli/main.js');
  if (entrypoint[0] !== 'node' || main < 0)
    throw new Error(`Dockerfile: expected ENTRYPOINT ["node", ...flags, "dist/cli/main.js"], found ${line ?? 'none'}`);
  const env = Object.fromEntries([...runtime.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$/gm)].map((m) => [m[1]!, m[2]!]));
  return { nodeFlags: entrypoint.slice(1, main), env };
}

export interface SimHandle {
  url: string;
  token: string;
  child: ChildProcess;
  calls(): Promise<CompactCall[]>;
  reset(): Promise<void>;
  census(): Promise<{ workspaces: number; duplicates: number }>;
  /** The simulator process's own CPU time and peak RSS so far. */
  usage(): Promise<{ userMs: number; systemMs: number; maxRssKb: number }>;
  close(): Promise<void>;
}

export async function startSim(config: SimChildConfig): Promise<SimHandle> {
  const child = fork(join(ROOT, 'bench/sim-child.ts'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, (body: Record<string, unknown>) => void>();
  let next = 1;
  const first = new Promise<Record<string, unknown>>((done, fail) => {
    pending.set(0, done);
    child.once('exit', (code) => fail(new Error(`simulator exited (${code}) before it listened`)));
  });
  child.on('message', (m: Record<string, unknown> & { id: number }) => {
    const done = pending.get(m.id);
    pending.delete(m.id);
    done?.(m);
  });
  const ask = (op: string) =>
    new Promise<Record<string, unknown>>((done) => {
      const id = next++;
      pending.set(id, done);
      child.send({ id, op });
    });
  const hello = await first;
  return {
    url: String(hello.url),
    token: String(hello.token),
    child,
    calls: async () => (await ask('calls')).calls as CompactCall[],
    reset: async () => void (await ask('reset')),
    census: async () => (await ask('census')) as unknown as { workspaces: number; duplicates: number },
    usage: async () => (await ask('usage')) as unknown as { userMs: number; systemMs: number; maxRssKb: number },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Measured {
  code: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  startedAt: number;
  stdoutTail: string;
  stderrTail: string;
}

/** Runs `cwo <args>` as a child with its own resource usage reported back on exit. */
export async function runMeasuredCli(
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    /** Wraps the command, e.g. to run it inside a network namespace (`ip netns exec …`). */
    wrap?: (command: string, args: string[]) => { command: string; args: string[] };
  },
): Promise<Measured> {
  const usageFile = join(opts.cwd, `usage-${process.hrtime.bigint()}.json`);
  const startedAt = Date.now();
  const t0 = performance.now();
  const argv = ['--import', USAGE, CLI, ...args];
  const cmd = opts.wrap ? opts.wrap(process.execPath, argv) : { command: process.execPath, args: argv };
  const child = spawn(cmd.command, cmd.args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_USAGE_FILE: usageFile, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? -1)));
  const wallMs = performance.now() - t0;
  const usage = JSON.parse(await readFile(usageFile, 'utf8')) as { userMs: number; systemMs: number; maxRssKb: number };
  await rm(usageFile, { force: true });
  return {
    code,
    wallMs,
    cpuMs: usage.userMs + usage.systemMs,
    maxRssMb: usage.maxRssKb / 1024,
    startedAt,
    stdoutTail: stdout.slice(-1500),
    stderrTail: stderr.slice(-1500),
  };
}

/** utime + stime of a live process, in ms (from /proc/<pid>/stat, 100 ticks/s). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Peak and current RSS of a live process, in MB (from /proc/<pid>/status). */
export function procRssMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

export interface CallSummary {
  total: number;
  reads: number;
  writes: number;
  byRoute: Record<string, number>;
  errors: number;
}

export function summarize(calls: CompactCall[]): CallSummary {
  const byRoute: Record<string, number> = {};
  let reads = 0;
  let errors = 0;
  for (const [method, route, status] of calls) {
    if (method === 'GET' || method === 'HEAD') reads += 1;
    if (status === 0 || status >= 400) errors += 1;
    const key = `${method} ${route || '(no route)'}`;
    byRoute[key] = (byRoute[key] ?? 0) + 1;
  }
  return { total: calls.length, reads, writes: calls.length - reads, byRoute, errors };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function run(
  file: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('close', (c) => done({ code: c ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(opts.stdin ?? '');
  });
}
