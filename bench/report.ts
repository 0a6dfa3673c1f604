// latest.md: one row per scenario run, then the calls by route.
import type { ScenarioResult } from './cli-mode.ts';
import { renderPeerK8s } from './peer-k8s-report.ts';
import { renderPeers } from './peers-report.ts';

export interface Doc {
  startedAt: string;
  finished: boolean;
  wallSeconds: number;
  machine: { commit: string; cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  /** 1-minute load average when the run started and when this was written (the machine is shared). */
  load?: { atStart: number; atEnd: number };
  options: Record<string, unknown>;
  results: ScenarioResult[];
}

const fmt = (v: number | undefined, digits = 0) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));

export function renderMarkdown(doc: Doc): string {
  const m = doc.machine;
  const lines = [
    `# Benchmark results`,
    '',
    `${doc.startedAt} · commit ${m.commit} · ${m.cpus} × ${m.cpuModel} · ${m.memoryGb} GB · Node ${m.node} · ${m.platform} · ` +
      `${doc.finished ? 'complete' : 'PARTIAL (still running or interrupted)'} in ${doc.wallSeconds.toFixed(0)} s`,
    '',
    ...(doc.load
      ? [`Load average (1 min): ${doc.load.atStart.toFixed(1)} at start, ${doc.load.atEnd.toFixed(1)} at the end, on ${m.cpus} CPUs.`, '']
      : []),
    'Simulator on 127.0.0.1 in its own process (rate limit off); 500 owners; ' +
      "wall/CPU/RSS are the measured child's (CLI or operator) alone.",
    '',
    '| mode | scenario | N | latency | ok | wall s | CPU s | peak RSS MB | Coder reads | Coder writes | details |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of doc.results) {
    const details = Object.entries(r.extra)
      .filter(([k]) => k !== 'exitCode' || r.extra[k] !== 0)
      .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(Math.abs(v) < 10 ? 2 : 1) : String(v)}`)
      .join(', ');
    const wallS = fmt(r.wallMs === undefined ? undefined : r.wallMs / 1000, 2);
    const cpuS = fmt(r.cpuMs === undefined ? undefined : r.cpuMs / 1000, 2);
    lines.push(
      `| ${r.mode} | ${r.scenario} | ${r.n} | ${r.latencyMs} ms | ${r.ok ? 'yes' : '**no**'} | ${wallS} | ${cpuS} | ` +
        `${fmt(r.peakRssMb)} | ${fmt(r.reads)} | ${fmt(r.writes)} | ${details} |`,
    );
  }
  lines.push(...renderPeers(doc.results));
  lines.push(...renderPeerK8s(doc.results));
  lines.push('', '## Calls by route', '');
  for (const r of doc.results) {
    if (!r.byRoute || Object.keys(r.byRoute).length === 0) continue;
    const routes = Object.entries(r.byRoute)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `\`${k}\` ${v}`)
      .join(' · ');
    lines.push(`- ${r.mode} ${r.scenario} N=${r.n} ${r.latencyMs} ms: ${routes}`);
  }
  const notes = doc.results.filter((r) => r.notes.length > 0);
  if (notes.length > 0) {
    lines.push('', '## Notes', '');
    for (const r of notes)
      for (const n of r.notes) lines.push(`- ${r.mode} ${r.scenario} N=${r.n} ${r.latencyMs} ms: ${n.replace(/\n/g, ' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
