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
  /**
   * One workspace of this name per owner, for the first `existing` owners,
   * instead of ws-0 … (mode workspaceset: what a set stamping `spec.name` finds).
   */
  perOwnerName?: string;
}

const SCHEDULES = ['CRON_TZ=Europe/Berlin 30 8 * * 1-5', 'CRON_TZ=America/New_York 0 9 * * 1-5', 'CRON_TZ=Asia/Tokyo 0 10 * * 1-5', null];

export type CompactCall = [method: string, route: string, status: number, at: number, name: string];

export function benchSeed(c: Pick<SimChildConfig, 'owners' | 'existing' | 'schedules' | 'perOwnerName'>): SimSeed {
  const users = [{ username: 'admin', roles: ['owner' as const] }];
  for (let o = 0; o < c.owners; o += 1) users.push({ username: ownerName(o), roles: [] });
  const workspaces = [];
  if (c.perOwnerName !== undefined) {
    for (let o = 0; o < c.existing; o += 1)
      workspaces.push({ owner: ownerName(o), name: c.perOwnerName, template: 'docker', ttl_ms: 8 * 3600_000 });
    return { users, templates: [{ name: 'docker', default_ttl_ms: 8 * 3600_000 }], workspaces };
  }
  for (let i = 0; i < c.existing; i += 1) {
    const schedule = c.schedules ? { autostart_schedule: SCHEDULES[i % SCHEDULES.length] ?? null } : {};
    workspaces.push({ owner: ownerName(i % c.owners), name: wsName(i), template: 'docker', ttl_ms: 8 * 3600_000, ...schedule });
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
