// Shared by the bench driver and the simulator child: the seed (500 owners,
// N matching workspaces) and the declarations that describe it.
import type { SimSeed } from '../src/coder-sim/index.ts';

export interface SimChildConfig {
  n: number;
  owners: number;
  latencyMs: number;
  /** Workspaces seeded as already existing (ws-0 … ws-(existing-1)). */
  existing: number;
  buildDurationMs: number;
  /** Give the workspaces autostart schedules in a few time zones, as a real fleet has (mode export). */
  schedules?: boolean;
  /** Name workspace i `<setName>-<owner>`, as a WorkspaceSet of that name stamps its children (mode workspaceset). */
  setName?: string;
}

const SCHEDULES = ['CRON_TZ=Europe/Berlin 30 8 * * 1-5', 'CRON_TZ=America/New_York 0 9 * * 1-5', 'CRON_TZ=Asia/Tokyo 0 10 * * 1-5', null];

export type CompactCall = [method: string, route: string, status: number, at: number, name: string];

export function benchSeed(c: Pick<SimChildConfig, 'owners' | 'existing' | 'schedules' | 'setName'>): SimSeed {
  const users = [{ username: 'admin', roles: ['owner' as const] }];
  for (let o = 0; o < c.owners; o += 1) users.push({ username: ownerName(o), roles: [] });
  const workspaces = [];
  for (let i = 0; i < c.existing; i += 1) {
    const schedule = c.schedules ? { autostart_schedule: SCHEDULES[i % SCHEDULES.length] ?? null } : {};
    const owner = ownerName(i % c.owners);
    const name = c.setName ? `${c.setName}-${owner}` : wsName(i);
    workspaces.push({ owner, name, template: 'docker', ttl_ms: 8 * 3600_000, ...schedule });
  }
  return { users, templates: [{ name: 'docker', default_ttl_ms: 8 * 3600_000 }], workspaces };
}

export function ownerName(o: number): string {
  return `dev${o}`;
}

export function wsName(i: number): string {
  return `ws-${i}`;
}

/** One Workspace document (JSON is YAML); ttl as a Go duration. */
export function workspaceDoc(i: number, owners: number, ttl = '8h', namespace = 'bench'): object {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name: wsName(i), namespace },
    spec: { owner: ownerName(i % owners), template: 'docker', ttl },
  };
}

export function multiDoc(objects: object[]): string {
  return `${objects.map((o) => JSON.stringify(o)).join('\n---\n')}\n`;
}
