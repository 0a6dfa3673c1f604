// npm run bench [-- --n 1000,10000 --latency 0,20 --scenarios cold-adopt,idle,burst,creates,plan,sync-idle,rss --mode cli,operator --out bench/results]
// Runs the scale scenarios of issue 6 against the Coder simulator on
// 127.0.0.1 (in a child process of its own) and writes latest.md + latest.json.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCliMode, type ScenarioResult } from './cli-mode.ts';
import { runOperatorMode } from './operator-mode.ts';
import { runSyncIdle } from './sync-mode.ts';
import { renderMarkdown } from './report.ts';
import { ROOT, run } from './lib.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000,10000' },
    latency: { type: 'string', default: '0,20' },
    scenarios: { type: 'string', default: 'cold-adopt,idle,burst,creates,plan,sync-idle,rss' },
    mode: { type: 'string', default: 'cli,operator' },
    'operator-n': { type: 'string' },
    'operator-deadline': { type: 'string', default: '420' },
    resync: { type: 'string', default: '30s' },
    /** Extra node flags for the operator child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" (profiles are written when it exits). */
    'operator-node-args': { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
  },
});

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const ns = list(values.n).map(Number);
const latencies = list(values.latency).map(Number);
const scenarios = new Set(list(values.scenarios));
const modes = new Set(list(values.mode));
const operatorNs = values['operator-n'] ? list(values['operator-n']).map(Number) : ns;
const started = new Date();
const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0)}s] ${s}\n`);

log('building dist/ (tsc -p tsconfig.build.json): the bench measures the compiled CLI and operator');
const build = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')]);
if (build.code !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);

const results: ScenarioResult[] = [];
const outDir = resolve(ROOT, values.out);
await mkdir(outDir, { recursive: true });
const commit = await new Promise<string>((done) =>
  execFile('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }, (_e, out) => done(String(out).trim() || 'unknown')),
);
const machine = {
  commit,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const save = async (finished: boolean) => {
  const doc = {
    startedAt: started.toISOString(),
    finished,
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    options: values,
    results,
  };
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), renderMarkdown(doc));
};

if (modes.has('cli')) {
  for (const latency of latencies) {
    for (const n of ns) {
      try {
        results.push(...(await runCliMode(n, latency, scenarios, log)));
      } catch (error) {
        results.push({ mode: 'cli', scenario: 'setup', n, latencyMs: latency, ok: false, extra: {}, notes: [String(error)] });
      }
      await save(false);
    }
  }
  // The long-running CLI's idle resync, once per N (no added latency).
  if (scenarios.has('sync-idle')) {
    for (const n of ns) {
      results.push(await runSyncIdle(n, log));
      await save(false);
    }
  }
}
if (modes.has('operator')) {
  for (const n of operatorNs) {
    try {
      results.push(
        ...(await runOperatorMode(
          n,
          scenarios,
          {
            resync: values.resync,
            deadlineS: Number(values['operator-deadline']),
            nodeArgs: values['operator-node-args']?.split(' ').filter(Boolean) ?? [],
          },
          log,
        )),
      );
    } catch (error) {
      results.push({
        mode: 'operator',
        scenario: 'setup',
        n,
        latencyMs: 0,
        ok: false,
        extra: {},
        notes: [String((error as Error).stack ?? error)],
      });
    }
    await save(false);
  }
}
await save(true);
log(`wrote ${join(values.out, 'latest.md')} and latest.json`);
process.stdout.write(
  renderMarkdown({
    startedAt: started.toISOString(),
    finished: true,
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    options: values,
    results,
  }),
);
