// Which shard wrote which Workspace, from the kube-apiserver's own audit log.
// Each shard runs as a ServiceAccount of its own, so the audit event of every
// write names the shard that made it; counters and metrics could only say how
// many writes each shard made, not that no Workspace was written by two. The
// policy records the writes to Workspaces and their status (refused ones too)
// at Metadata level and nothing else, so the log stays small at 40,000 and the
// apiserver does little more than it would without it.
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    // The bench's own kubectl apply (admin client certificate) is not a shard's write.
    { level: 'None', users: ['admin'] },
    {
      level: 'Metadata',
      verbs: ['create', 'update', 'patch', 'delete'],
      resources: [{ group: 'coderops.dev', resources: ['workspaces', 'workspaces/status'] }],
    },
    { level: 'None' },
  ],
};

/** Writes the policy into dir; returns the kube-apiserver flags that log to dir/audit.log. */
export async function auditFlags(dir: string): Promise<string[]> {
  const policy = join(dir, 'audit-policy.json');
  await writeFile(policy, JSON.stringify(POLICY));
  return [
    `--audit-policy-file=${policy}`,
    `--audit-log-path=${join(dir, 'audit.log')}`,
    '--audit-log-format=json',
    // Far above what 40,000 Workspaces write (about 1 KB an event), so it is not rotated mid-run; rotated files are read too.
    '--audit-log-maxsize=4096',
  ];
}

export interface WriterLog {
  /** Workspace name -> the users that wrote it (2xx answers only). */
  writers: Map<string, Set<string>>;
  /** User -> epoch ms of its first and last successful Workspace write. */
  span: Map<string, { first: number; last: number }>;
  /** Successful Workspace writes, by user (a Workspace written twice counts twice). */
  writes: Map<string, number>;
  /** Writes the apiserver refused (e.g. 409 conflicts), by user. */
  refused: Map<string, number>;
}

interface AuditEvent {
  stage?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; name?: string };
  responseStatus?: { code?: number };
  stageTimestamp?: string;
}

/** Reads every audit file in dir (audit.log and any rotated audit-*.log). */
export async function readWriters(dir: string): Promise<WriterLog> {
  const out: WriterLog = { writers: new Map(), span: new Map(), writes: new Map(), refused: new Map() };
  const files = (await readdir(dir)).filter((f) => /^audit.*\.log$/.test(f));
  for (const file of files) {
    for await (const line of createInterface({ input: createReadStream(join(dir, file)) })) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as AuditEvent;
      const user = e.user?.username ?? '?';
      const name = e.objectRef?.name;
      if (e.stage !== 'ResponseComplete' || e.objectRef?.resource !== 'workspaces' || !name) continue;
      const code = e.responseStatus?.code ?? 0;
      if (code < 200 || code >= 300) {
        out.refused.set(user, (out.refused.get(user) ?? 0) + 1);
        continue;
      }
      out.writes.set(user, (out.writes.get(user) ?? 0) + 1);
      const set = out.writers.get(name) ?? new Set<string>();
      set.add(user);
      out.writers.set(name, set);
      const at = Date.parse(e.stageTimestamp ?? '');
      const s = out.span.get(user);
      if (!s) out.span.set(user, { first: at, last: at });
      else out.span.set(user, { first: Math.min(s.first, at), last: Math.max(s.last, at) });
    }
  }
  return out;
}

export interface Attribution {
  /** Per user: Workspaces it wrote, and how many of them its label did not give it. */
  byUser: Map<string, { written: number; notItsOwn: number }>;
  /** Workspaces written by more than one user. */
  doubles: string[];
  /** Workspaces no shard wrote (all Ready implies a status write, so this is a lost audit event). */
  unwritten: number;
}

/** Checks each of the n Workspaces against the one user its label names. */
export function attribute(log: WriterLog, names: string[], ownerOf: (name: string) => string): Attribution {
  const byUser = new Map<string, { written: number; notItsOwn: number }>();
  const doubles: string[] = [];
  let unwritten = 0;
  for (const name of names) {
    const users = log.writers.get(name);
    if (!users) {
      unwritten += 1;
      continue;
    }
    if (users.size > 1) doubles.push(name);
    for (const user of users) {
      const u = byUser.get(user) ?? { written: 0, notItsOwn: 0 };
      u.written += 1;
      if (user !== ownerOf(name)) u.notItsOwn += 1;
      byUser.set(user, u);
    }
  }
  return { byUser, doubles, unwritten };
}
