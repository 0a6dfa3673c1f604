// Favorites through the real CLI, on each Coder version the simulator plays:
// a dormant and an awake workspace of another user, set, then left alone;
// the owner tokens are minted with scopes that version accepts and can read
// with, deleted at the end of every run, and named in the status.
import { afterEach, describe, expect, it } from 'vitest';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

let h: Harness;
afterEach(() => closeHarness(h));

const VERSIONS = [
  {
    coderVersion: 'latest',
    // One mint per run, accepted at once.
    mintStatuses: [201],
    scopes: 'workspace:read,workspace:update,workspace_dormant:read,workspace_dormant:update',
  },
  {
    coderVersion: '2.27.0',
    // A fresh process asks for the narrow set once (refused, nothing created), then coder:all.
    mintStatuses: [400, 201],
    scopes: 'coder:all',
  },
];

const SPECS = [
  workspaceYaml('awake', { owner: 'alice', template: 'docker', favorite: true }),
  workspaceYaml('sleepy', { owner: 'alice', template: 'docker', dormant: true, favorite: true }),
].join('\n---\n');

function liveTokensOf(username: string): string[] {
  const user = h.sim.state.findUser(username)!;
  return [...h.sim.state.apiKeys.values()].filter((k) => k.userId === user.id && k.loginType === 'token').map((k) => k.tokenName);
}

describe.each(VERSIONS)('favorites on Coder $coderVersion', ({ coderVersion, mintStatuses, scopes }) => {
  it('sets them on a dormant and an awake workspace, then plans in sync, with no token left behind', async () => {
    h = await startHarness({
      coderVersion,
      seed: {
        ...SEED,
        workspaces: [
          { owner: 'alice', name: 'awake', template: 'docker' },
          { owner: 'alice', name: 'sleepy', template: 'docker', dormant: true },
        ],
      },
    });
    await h.write('ws.yaml', SPECS);

    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const alice = h.sim.state.findUser('alice')!;
    for (const name of ['awake', 'sleepy']) expect(h.sim.state.findLiveWorkspace(alice.id, name)!.favorite).toBe(true);
    const mints = h.sim.calls.filter((c) => c.method === 'POST' && c.route === '/api/v2/users/{user}/keys/tokens');
    expect(mints.map((c) => c.status)).toEqual(mintStatuses);
    expect(mints.every((c) => (c.requestBody as { lifetime: number }).lifetime === 10 * 60 * 1e9)).toBe(true);
    expect(liveTokensOf('alice')).toEqual([]);

    // In sync: the favorite is read as the owner (never "unknown"), nothing is written to a workspace.
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain('unknown');
    // What plan writes: the owner token's mint and delete, nothing else.
    expect(
      h
        .writes()
        .filter((w) => !w.route.startsWith('/api/v2/users/{user}/keys'))
        .map((w) => w.route),
    ).toEqual([]);
    expect(h.writes().some((w) => w.method === 'DELETE' && w.route === '/api/v2/users/{user}/keys/{keyid}')).toBe(true);
    expect(liveTokensOf('alice')).toEqual([]);

    const status = await h.cli(['status', '-f', 'ws.yaml', '-o', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`favorite read as the owner with a short-lived token scoped ${scopes}`);
    expect(status.stdout).not.toContain(h.sim.tokenFor('admin'));
  });

  it('takes a favorite that is set out of band as drift, and unset again', async () => {
    h = await startHarness({
      coderVersion,
      seed: { ...SEED, workspaces: [{ owner: 'alice', name: 'sleepy', template: 'docker', dormant: true, favorite: true }] },
    });
    await h.write('ws.yaml', workspaceYaml('sleepy', { owner: 'alice', template: 'docker', dormant: true, favorite: false }));
    const plan = await h.cli(['plan', '-f', 'ws.yaml']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('favorite team-a/sleepy: true -> false');
    const apply = await h.cli(['apply', '-f', 'ws.yaml']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(h.sim.state.findLiveWorkspace(h.sim.state.findUser('alice')!.id, 'sleepy')!.favorite).toBe(false);
  });
});
