// The simulator's profile of the version under test (src/coder-sim/versions.ts)
// against the real coderd of that version: the same probes, sent to both,
// must get the same answers. Every version difference docs/compatibility.md
// lists is one of these probes (build version, which token scopes are
// accepted and what the key records, what a narrow owner token may read and
// favorite, dormant or not, the status of a create for an unknown owner), so
// a profile that is wrong for a version fails here, on the real tier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoderSimulator, type CoderSimulator } from '../../src/coder-sim/index.ts';
import { VERSION_PROFILES } from '../../src/coder-sim/versions.ts';
import { OWNER, probe, sender } from './version-probes.ts';
import { server, world } from './world.ts';

const version = world().version.replace(/^v/, '');
let sim: CoderSimulator;

beforeAll(async () => {
  sim = await startCoderSimulator({
    coderVersion: version,
    rateLimitPerMinute: 0,
    // As the server probed runs (the workspace-sharing experiment on).
    experiments: server().experiments,
    seed: {
      organizations: [{ name: 'coder', default: true }],
      users: [{ username: 'admin', roles: ['owner'] }, { username: OWNER }],
      templates: [{ name: 'plain' }],
    },
  });
});

afterAll(() => sim?.close());

describe(`the simulator's ${version} profile against a real coderd ${world().version}`, () => {
  it('the profile exists', () => {
    expect(Object.keys(VERSION_PROFILES)).toContain(version);
  });

  it('answers every probe as the real server does', async () => {
    const real = server();
    const fromReal = await probe(sender(real.url, real.adminToken), real.templates.plain!);
    const template = [...sim.state.templates.values()].find((t) => t.name === 'plain')!;
    const fromSim = await probe(sender(sim.url, sim.tokenFor('admin')), template.id);
    process.stdout.write(`[parity] ${world().version}: ${JSON.stringify(fromReal)}\n`);
    expect(fromSim).toEqual(fromReal);
  });
});
