// The "peers side by side" section of latest.md: the rows of the peers modes
// (coderd-peer-mode.ts, polling-mode.ts) set against each other, with ratios.
import type { ScenarioResult } from './cli-mode.ts';
import { ratio } from './peers.ts';

const s = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
const num = (v: unknown, digits = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');
const calls = (r: ScenarioResult) => (r.reads ?? 0) + (r.writes ?? 0);

function coderdTable(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const work of ['creates', 'ttl', 'rollout']) {
    for (const cli of results.filter((r) => r.mode === 'peers' && r.scenario === `${work}: coder CLI loop`)) {
      const cwo = results.find((r) => r.mode === 'peers' && r.scenario === `${work}: one cwo apply` && r.n === cli.n);
      if (!cwo) continue;
      if (lines.length === 0) {
        lines.push(
          '| work | N | coder CLI: wall s | calls (reads/writes) | cwo apply: wall s | calls (reads/writes) | ' +
            'wall ratio | call ratio | both ok |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        );
      }
      const label =
        work === 'ttl'
          ? 'TTL changes'
          : work === 'rollout'
            ? `rollout to a promoted version (builds per workspace: ${num(cli.extra.buildsPerWorkspace)} vs ${num(cwo.extra.buildsPerWorkspace)})`
            : 'creates';
      const buildsEnded = cwo.extra.allBuildsEndedMs === undefined ? '' : ` (all builds ended ${s(Number(cwo.extra.allBuildsEndedMs))})`;
      const wallRatio = num(ratio(cli.wallMs ?? 0, cwo.wallMs ?? 0));
      const callRatio = num(ratio(calls(cli), calls(cwo)));
      lines.push(
        `| ${label} | ${cli.n} | ${s(cli.wallMs)} | ${calls(cli)} (${cli.reads}/${cli.writes}) | ` +
          `${s(cwo.wallMs)}${buildsEnded} | ${calls(cwo)} (${cwo.reads}/${cwo.writes}) | ` +
          `${wallRatio}× | ${callRatio}× | ${cli.ok && cwo.ok ? 'yes' : '**no**'} |`,
      );
    }
  }
  return lines;
}

function pollingTable(results: readonly ScenarioResult[]): string[] {
  const rows = results.filter((r) => r.mode === 'peers' && /^(per-resource poll|list resync|operator resync)/.test(r.scenario));
  if (rows.length === 0) return [];
  const lines = [
    '| N | observation | Coder calls / hour | client CPU s / hour | Coder-side CPU s / hour | ' +
      'calls: poll ÷ this | CPU (both sides): poll ÷ this |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const server = r.extra.serverCpuSPerHour;
    const cpuRatio = r.extra.cpuRatio ?? (r.extra.clientCpuRatio === undefined ? undefined : r.extra.clientCpuRatio);
    const serverCell = server === undefined ? 'not measured' : num(server, 2);
    const callRatioCell = r.extra.callRatio === undefined ? '—' : `${num(r.extra.callRatio)}×`;
    const cpuRatioCell = cpuRatio === undefined ? '—' : `${num(cpuRatio)}×${r.extra.cpuRatio === undefined ? ' (client only)' : ''}`;
    lines.push(
      `| ${r.n} | ${r.scenario} | ${Math.round(Number(r.extra.callsPerHour))} | ${num(r.extra.clientCpuSPerHour, 2)} | ` +
        `${serverCell} | ${callRatioCell} | ${cpuRatioCell} |`,
    );
  }
  return lines;
}

export function renderPeers(results: readonly ScenarioResult[]): string[] {
  const coderd = coderdTable(results);
  const polling = pollingTable(results);
  if (coderd.length === 0 && polling.length === 0) return [];
  const lines = ['', '## Peers side by side', ''];
  if (coderd.length > 0) {
    lines.push(
      'The coder CLI, one command per workspace, against one `cwo apply`, on a real coderd (calls counted by the recording proxy):',
      '',
      ...coderd,
      '',
    );
  }
  if (polling.length > 0) {
    lines.push(
      'Steady state on the simulator, per hour: one GET per workspace every minute against one list pass per resync:',
      '',
      ...polling,
      '',
    );
  }
  return lines;
}
