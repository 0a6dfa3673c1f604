import type { SimSeed } from '../../src/coder-sim/seed.ts';

export const HOUR = 3_600_000;

/** The deployment the integration tests run against. */
export const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }, { username: 'carol' }],
  templates: [
    { name: 'docker', default_ttl_ms: 8 * HOUR },
    { name: 'kubernetes', default_ttl_ms: 0 },
    { name: 'gpu', default_ttl_ms: 0, parameters: [{ name: 'gpu_type', required: true }] },
  ],
  workspaces: [
    { owner: 'carol', name: 'carol-scratch', template: 'docker', ttl_ms: 4 * HOUR, autostart_schedule: 'CRON_TZ=UTC 0 7 * * 1-5' },
  ],
};
