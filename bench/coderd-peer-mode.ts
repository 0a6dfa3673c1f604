// The coder CLI against cwo on a real coderd (the real-Coder tier's binary,
// which is also the `coder` CLI). A platform team's script today runs one
// command per workspace; cwo runs one `apply` over all of them:
//   creates: N × `coder create <owner>/<name> -t docker --parameter … --yes`
//            against one `cwo apply` of N new declarations;
//   ttl:     N × `coder schedule stop <owner>/<name> 4h` against one
//            `cwo apply` with every ttl changed to 4h.
// PostgreSQL, coderd, the coder CLI and cwo all run as the real-coderd tier
// starts them (test/coderd: loopback-only network namespace, socket-only
// PostgreSQL), so nothing sends a packet beyond loopback. Both clients reach
// coderd through the tier's recording proxy (on the host, exposed inside the
// namespace), which counts their HTTP calls.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplate } from '../test/coderd/bootstrap.ts';
import type { Netns } from '../test/coderd/netns.ts';
import type { ScenarioResult } from './cli-mode.ts';
import { builtCoderd, peerRow, settledWorkspaces, startPeerCoderd } from './coderd-peer-runs.ts';
import { runMeasuredCli } from './lib.ts';
import { ratio } from './peers.ts';

const OWNERS = 8;
const TEMPLATE = 'docker';
const PARAMETER = { name: 'region', value: 'eu-west' };
const HOUR = 3_600_000;
/** Inside the namespace, where the recording proxy is exposed. */
const PROXY_INNER_PORT = 3900;

const owner = (i: number) => `peer${i % OWNERS}`;
/** How long, and how often, to wait for a fleet's builds to end. */
const SETTLE = { timeoutMs: 300_000, everyMs: 200 };

interface Timed {
  wallMs: number;
  failures: string[];
}

/** N commands one after another, as a shell loop runs them; the first failures are kept. */
export async function loop(n: number, command: (i: number) => Promise<{ code: number; output: string }>): Promise<Timed> {
  const failures: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    const r = await command(i);
    if (r.code !== 0 && failures.length < 3) failures.push(`#${i} exit ${r.code}: ${r.output.slice(-300)}`);
  }
  return { wallMs: performance.now() - t0, failures };
}

export function runIn(netns: Netns, file: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  const cmd = netns.exec(file, args);
  return new Promise((done) => {
    const child = spawn(cmd.command, cmd.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-2000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => done({ code: code ?? -1, output }));
  });
}

function declarations(n: number, ttl: string): string {
  const docs = [];
  for (let i = 0; i < n; i += 1) {
    docs.push(
      JSON.stringify({
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: `cwo-${i}`, namespace: 'peers' },
        spec: { owner: owner(i), template: TEMPLATE, ttl, parameters: [PARAMETER] },
      }),
    );
  }
  return `${docs.join('\n---\n')}\n`;
}

/** Every workspace whose name starts with prefix, once none of their builds is still under way. */
interface LiveWorkspace {
  name: string;
  ttl_ms: number | null;
  latest_build: { status: string };
}

export async function runCoderdPeers(n: number, log: (s: string) => void): Promise<ScenarioResult[]> {
  const { version, bin } = builtCoderd();
  const results: ScenarioResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'cwo-bench-peers-'));
  // PostgreSQL runs as its own user and must reach its directory below this one.
  await chmod(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  try {
    const peer = await startPeerCoderd({
      label: 'peers',
      version,
      dir,
      database: 'coder_peers',
      users: Array.from({ length: OWNERS }, (_, o) => owner(o)),
      proxyInnerPort: PROXY_INNER_PORT,
      stops,
      log,
    });
    const { netns, bootstrap: b, proxy, home, env } = peer;
    const parameters = [{ name: PARAMETER.name, type: 'string' as const, default: 'us-east', mutable: true }];
    await createTemplate(b, bin.echotar, TEMPLATE, { parameters }, { default_ttl_ms: 8 * HOUR });
    const coder = (args: string[]) => runIn(netns, bin.coder, args, env);
    const cwo = (args: string[]) => runMeasuredCli(args, { cwd: home, env, wrap: netns.exec });
    const file = join(home, 'workspaces.yaml');
    const apply = ['apply', '-f', file, '--state', join(home, 'state.json')];
    // One untimed call each first, so neither pays for coderd's first-request warm-up.
    await coder(['whoami']);

    log(`peers n=${n}: coder create × ${n}`);
    proxy.reset();
    const cliCreates = await loop(n, (i) =>
      coder(['create', `${owner(i)}/cli-${i}`, '-t', TEMPLATE, '--parameter', `${PARAMETER.name}=${PARAMETER.value}`, '--yes']),
    );
    const cliCreated = await settledWorkspaces<LiveWorkspace>(b.admin, 'cli-', n, SETTLE);
    const cliCreateRow = peerRow('creates: coder CLI loop', n, cliCreates.wallMs, proxy, cliCreates.failures.length === 0);
    cliCreateRow.notes.push(...cliCreates.failures);
    cliCreateRow.extra.running = cliCreated.filter((w) => w.latest_build.status === 'running').length;

    log(`peers n=${n}: cwo apply (${n} creates)`);
    await writeFile(file, declarations(n, '8h'));
    proxy.reset();
    const cwoCreates = await cwo(apply);
    const cwoCreated = await settledWorkspaces<LiveWorkspace>(b.admin, 'cwo-', n, SETTLE);
    // `coder create` returns when its build ended; `cwo apply` when coderd took the create.
    const cwoAllBuiltMs = Date.now() - cwoCreates.startedAt;
    const cwoCreateRow = peerRow('creates: one cwo apply', n, cwoCreates.wallMs, proxy, cwoCreates.code === 0);
    if (cwoCreates.code !== 0) cwoCreateRow.notes.push(`exit ${cwoCreates.code}: ${cwoCreates.stderrTail.slice(-400)}`);
    Object.assign(cwoCreateRow, { cpuMs: cwoCreates.cpuMs, peakRssMb: cwoCreates.maxRssMb });
    Object.assign(cwoCreateRow.extra, {
      running: cwoCreated.filter((w) => w.latest_build.status === 'running').length,
      allBuildsEndedMs: cwoAllBuiltMs,
      wallRatio: ratio(cliCreates.wallMs, cwoCreates.wallMs),
      callRatio: ratio(cliCreateRow.reads! + cliCreateRow.writes!, cwoCreateRow.reads! + cwoCreateRow.writes!),
    });
    results.push(cliCreateRow, cwoCreateRow);

    log(`peers n=${n}: coder schedule stop × ${n}`);
    proxy.reset();
    const cliTtl = await loop(n, (i) => coder(['schedule', 'stop', `${owner(i)}/cli-${i}`, '4h']));
    const cliTtlRow = peerRow('ttl: coder CLI loop', n, cliTtl.wallMs, proxy, cliTtl.failures.length === 0);
    cliTtlRow.notes.push(...cliTtl.failures);
    cliTtlRow.extra.at4h = ((await b.admin.workspaces()) as LiveWorkspace[]).filter(
      (w) => w.name.startsWith('cli-') && w.ttl_ms === 4 * HOUR,
    ).length;

    log(`peers n=${n}: cwo apply (${n} ttl changes)`);
    await writeFile(file, declarations(n, '4h'));
    proxy.reset();
    const cwoTtl = await cwo(apply);
    const cwoTtlRow = peerRow('ttl: one cwo apply', n, cwoTtl.wallMs, proxy, cwoTtl.code === 0);
    if (cwoTtl.code !== 0) cwoTtlRow.notes.push(`exit ${cwoTtl.code}: ${cwoTtl.stderrTail.slice(-400)}`);
    Object.assign(cwoTtlRow, { cpuMs: cwoTtl.cpuMs, peakRssMb: cwoTtl.maxRssMb });
    Object.assign(cwoTtlRow.extra, {
      at4h: ((await b.admin.workspaces()) as LiveWorkspace[]).filter((w) => w.name.startsWith('cwo-') && w.ttl_ms === 4 * HOUR).length,
      wallRatio: ratio(cliTtl.wallMs, cwoTtl.wallMs),
      callRatio: ratio(cliTtlRow.reads! + cliTtlRow.writes!, cwoTtlRow.reads! + cwoTtlRow.writes!),
    });
    cliTtlRow.ok &&= cliTtlRow.extra.at4h === n;
    cwoTtlRow.ok &&= cwoTtlRow.extra.at4h === n;
    cliCreateRow.ok &&= cliCreateRow.extra.running === n;
    cwoCreateRow.ok &&= cwoCreateRow.extra.running === n;
    results.push(cliTtlRow, cwoTtlRow);
    const links = await netns.links();
    for (const r of results) r.notes.push(`coderd ${version}; clients in netns ${netns.name} (links: ${links.join(', ')})`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`peers teardown: ${e}`));
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
