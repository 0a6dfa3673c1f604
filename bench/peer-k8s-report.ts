// The peer-k8s section of latest.md (bench/peer-k8s-mode.ts): coder-k8s and
// cwo side by side. Run alone (`--mode peer-k8s`), the mode writes its own
// results to bench/results/peer-k8s/ and puts this section into
// bench/results/latest.md between two markers, in place of the previous one,
// so the figures of the full run stay as they were.
import type { ScenarioResult } from './cli-mode.ts';

export const BEGIN = '<!-- peer-k8s:begin -->';
export const END = '<!-- peer-k8s:end -->';

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '—');

export function renderPeerK8s(results: readonly ScenarioResult[], provenance?: string): string[] {
  const mine = results.filter((r) => r.mode === 'peer-k8s');
  if (mine.length === 0) return [];
  const lines = ['', '## coder-k8s beside cwo (peer-k8s)', ''];
  if (provenance) lines.push(provenance, '');
  lines.push(
    'coder-k8s v0.1.0 (aggregated API server) and the cwo operator on one real control plane, against one real coderd ' +
      'v2.30.0; each reaches coderd through its own recording proxy. Method: docs/performance.md#coder-k8s-beside-cwo.',
    '',
  );
  const gets = mine.filter((r) => r.scenario.startsWith('kubectl get'));
  if (gets.length > 0) {
    lines.push(
      '| kubectl get | N | rows | p50 ms | min ms | max ms | Coder calls per get | CPU ms per get: kube-apiserver | operator / coder-k8s | coderd | ok |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of gets) {
      const own = r.extra.operatorCpuMsPerGet ?? r.extra.peerCpuMsPerGet;
      lines.push(
        `| ${r.scenario.replace('kubectl get: ', '')} | ${r.n} | ${num(r.extra.rows)} | ${num(r.extra.p50Ms)} | ${num(r.extra.minMs)} | ` +
          `${num(r.extra.maxMs)} | ${num(r.extra.coderCallsPerGet)} | ${num(r.extra.apiserverCpuMsPerGet)} | ${num(own)} | ` +
          `${num(r.extra.coderdCpuMsPerGet)} | ${r.ok ? 'yes' : '**no**'} |`,
      );
    }
    lines.push(
      '',
      'CPU per get from /proc over the runs, divided by the runs: the operator is not asked (cwo is served from etcd); ' +
        'coderd includes whatever else it did meanwhile (its own background jobs).',
      '',
    );
  }
  const transitions = mine.filter((r) => r.scenario.startsWith('stop ') || r.scenario.startsWith('start '));
  if (transitions.length > 0) {
    lines.push(
      '| start/stop | N | kubectl s | all builds ended s | kubectl get shows it s | Coder calls to make the change (reads/writes) | per workspace | Coder calls made by looking (kubectl get) |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of transitions) {
      const s = (k: string) => (typeof r.extra[k] === 'number' ? ((r.extra[k] as number) / 1000).toFixed(2) : '—');
      lines.push(
        `| ${r.scenario} | ${r.n} | ${s('clientMs')} | ${s('allBuildsEndedMs')} | ${s('kubectlShowsMs')} | ` +
          `${num((r.reads ?? 0) + (r.writes ?? 0))} (${num(r.reads)}/${num(r.writes)}) | ${num(r.extra.callsPerWorkspace)} | ${num(r.extra.callsByKubectlReads)} |`,
      );
    }
    lines.push(
      '',
      "Calls to make the change: cwo's operator after each request (kubectl reads of Workspaces never reach Coder); " +
        "coder-k8s inside each PATCH request (an apply is a PATCH too). Looking: the bench's own kubectl reads until all showed the end state " +
        '(one list every 0.5 s, plus two single gets), each of which coder-k8s answers by asking Coder.',
      '',
    );
  }
  const byHand = mine.filter((r) => r.scenario.startsWith('a stop made in Coder'));
  if (byHand.length > 0) {
    lines.push(
      '| all N stopped in Coder by hand (running before) | N | spec.running still true | running in Coder after | s | Coder calls (reads/writes) |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const r of byHand)
      lines.push(
        `| ${r.scenario.replace('a stop made in Coder by hand', '…')} | ${r.n} | ${num(r.extra.specRunningTrue)} | ${num(r.extra.runningInCoder)} | ` +
          `${typeof r.extra.afterMs === 'number' ? (r.extra.afterMs / 1000).toFixed(2) : '—'} | ${num((r.reads ?? 0) + (r.writes ?? 0))} (${num(r.reads)}/${num(r.writes)}) |`,
      );
    lines.push('');
  }
  const failed = mine.filter((r) => !r.ok);
  for (const r of failed) lines.push(`- **${r.scenario} failed**: ${(r.notes[0] ?? '').replace(/\n/g, ' ').slice(0, 1500)}`);
  return lines;
}

/** latest.md with the section between the markers replaced (or appended when it has none). */
export function spliceSection(markdown: string, section: string[]): string {
  const block = `${BEGIN}\n${section.join('\n').trim()}\n${END}\n`;
  const from = markdown.indexOf(BEGIN);
  const to = markdown.indexOf(END);
  if (from >= 0 && to > from) return `${markdown.slice(0, from)}${block}${markdown.slice(to + END.length).replace(/^\n/, '')}`;
  return `${markdown.trimEnd()}\n\n${block}`;
}
