// Readings of one shard process from the outside, for shards-mode.ts: its
// Coder calls from its own /metrics (the simulator serves all shards and
// cannot tell them apart), its resync passes from its log, its /readyz, and
// the Ready count per shard label.
import { readFile } from 'node:fs/promises';
import { listWorkspaces, sleep, type Kubectl } from './operator-env.ts';

/** `METHOD route` -> calls so far, summed over status codes, from the shard's cwo_coder_requests_total. */
export async function coderCallsOf(metricsUrl: string): Promise<Map<string, number>> {
  try {
    return coderCallsFrom(await (await fetch(metricsUrl)).text());
  } catch {
    return new Map(); // restarting: its counters start again from 0 anyway
  }
}

/** The same from the text of a /metrics answer. */
export function coderCallsFrom(text: string): Map<string, number> {
  const out = new Map<string, number>();
  // Label values hold braces themselves (route="/api/v2/users/{user}"): match quoted strings whole.
  for (const m of text.matchAll(/^cwo_coder_requests_total\{((?:[^"}]|"[^"]*")*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels.method} ${labels.route}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Reads and writes in a `METHOD route` -> count record. */
export function readsAndWrites(byRoute: Record<string, number>): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [key, count] of Object.entries(byRoute)) {
    if (key.startsWith('GET ') || key.startsWith('HEAD ')) reads += count;
    else writes += count;
  }
  return { reads, writes };
}

export interface ResyncLine {
  time: number;
  /** Workspaces in the shard's cache: the ones its selector matches. */
  workspaces: number;
  /** Workspaces the pass found needing a reconcile (0 when idle). */
  queued: number;
}

/** The operator's `resync` log lines (one at the end of each pass's decisions), oldest first. */
export async function resyncLines(logFile: string): Promise<ResyncLine[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const out: ResyncLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"resync"')) continue;
    const e = JSON.parse(line) as ResyncLine;
    out.push({ time: e.time, workspaces: e.workspaces, queued: e.queued });
  }
  return out;
}

/** Until /readyz answers 200; throws after timeoutMs, or at once when `dead()` says the process is gone. */
export async function waitReadyz(probesPort: number, timeoutMs: number, dead: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead()) throw new Error('exited before /readyz');
    const status = await fetch(`http://127.0.0.1:${probesPort}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`no /readyz within ${timeoutMs / 1000} s`);
}

/** Ready=True Workspaces per value of `label` (one kubectl list, paged as the Ready poll is). */
export async function readyByLabel(kubectl: Kubectl, label: string): Promise<Map<string, number>> {
  const key = label.replace(/\./g, '\\.');
  const lines = await listWorkspaces(kubectl, `{.metadata.labels.${key}}{" "}{.status.conditions[?(@.type=="Ready")].status}`);
  const counts = new Map<string, number>();
  for (const line of lines) {
    const [value, status] = line.split(' ');
    if (value && status === 'True') counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}
