// `cwo export` through the real CLI against the simulator: the round trip
// (export, then plan on its output: only adoptions, no call that changes a
// workspace; apply: no workspace write; plan again: in sync), with the odd
// cases (autostart off, ttl off, dormant, an old pinned version, an outdated
// workspace that Coder updates itself, parameters with an ephemeral one,
// favorites, run state), the search query passed through, every document
// checked with the project's own validator, and the output modes.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateWorkspace } from '../../src/api/validate.ts';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { closeHarness } from '../support/harness-per-test.ts';
import { startHarness, workspaceYaml, type Harness } from './harness.ts';

let h: Harness;
afterEach(() => closeHarness(h));

const HOUR = 3_600_000;
const PARAMS = [
  { name: 'size', required: false, default_value: 'small' },
  { name: 'region', required: false, mutable: false, default_value: 'eu' },
  { name: 'debug', required: false, ephemeral: true, default_value: 'false' },
];

const SEED: SimSeed = {
  organizations: [{ name: 'coder', default: true }, { name: 'research' }],
  users: [
    { username: 'admin', roles: ['owner'] },
    { username: 'alice' },
    { username: 'bob' },
    { username: 'a' },
    { username: 'a-b' },
    { username: 'rita', organizations: { research: 'member' } },
  ],
  templates: [
    { name: 'docker', default_ttl_ms: 8 * HOUR, parameters: PARAMS },
    { name: 'kubernetes', default_ttl_ms: 0 },
    { name: 'lab', organization: 'research', default_ttl_ms: 0 },
  ],
  template_versions: [{ template: 'docker', name: 'v2', parameters: PARAMS }],
  workspaces: [
    { owner: 'alice', name: 'dev', template: 'docker', autostart_schedule: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5', ttl_ms: 4 * HOUR },
    // Autostart off, auto-stop off, stopped: the run state can be declared.
    { owner: 'alice', name: 'quiet', template: 'kubernetes', autostart_schedule: null, ttl_ms: null, transition: 'stop' },
    { owner: 'bob', name: 'sleepy', template: 'docker', dormant: true, favorite: true },
    { owner: 'bob', name: 'old', template: 'docker', automatic_updates: 'never' },
    { owner: 'bob', name: 'follows', template: 'docker', automatic_updates: 'always' },
    // metadata.name must tell a/b-c from a-b/c.
    { owner: 'a', name: 'b-c', template: 'kubernetes' },
    { owner: 'a-b', name: 'c', template: 'kubernetes' },
    { owner: 'rita', name: 'exp', template: 'lab', organization: 'research', autostart_schedule: '0 9 * * 1' },
  ],
};

/** Seeds, promotes docker v2 (so bob/old and bob/follows are outdated) and makes alice/params with values. */
async function fleet(): Promise<void> {
  h = await startHarness({ seed: SEED, buildDurationMs: 0 });
  h.sim.state.promoteVersion('docker', 'v2');
  await h.write(
    'made.yaml',
    workspaceYaml('params', {
      owner: 'alice',
      template: 'docker',
      parameters: [
        { name: 'size', value: 'large' },
        { name: 'region', value: 'us' },
        { name: 'debug', value: 'true' },
      ],
    }),
  );
  const made = await h.cli(['apply', '-f', 'made.yaml', '--no-state']);
  expect(made.code, made.stdout + made.stderr).toBe(0);
  h.resetCalls();
}

interface Doc {
  metadata: { name: string; namespace?: string };
  spec: Record<string, any>;
}

/** Every document of a YAML text, each validated with the project's own validator. */
function documents(text: string): Doc[] {
  return parseAllDocuments(text).map((d) => {
    const value = d.toJS() as Doc;
    const checked = validateWorkspace(structuredClone(value));
    expect(checked.ok ? [] : checked.errors, `${value.metadata?.name}`).toEqual([]);
    return value;
  });
}

async function documentsIn(dir: string): Promise<Map<string, Doc[]>> {
  const files = new Map<string, Doc[]>();
  for (const f of (await readdir(dir)).sort()) files.set(f, documents(await readFile(join(dir, f), 'utf8')));
  return files;
}

function byName(docs: Doc[]): Map<string, Doc> {
  return new Map(docs.map((d) => [d.metadata.name, d]));
}

/** Writes that change a workspace, leaving out the favorites' owner tokens (mint and delete). */
function workspaceWrites() {
  return h.writes().filter((c) => !c.route.startsWith('/api/v2/users/{user}/keys'));
}

describe('cwo export', { timeout: 300_000 }, () => {
  it('writes every managed field as Coder has it, and plan on the output only adopts; apply writes nothing', async () => {
    await fleet();
    const out = await h.cli(['export', '--out-dir', 'fleet', '--parameters', '--include-favorites', '--running']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('exported 9 of 9 workspace(s) to 5 file(s)');
    // Export only reads (and mints/deletes the owner tokens for favorites).
    expect(workspaceWrites()).toEqual([]);

    const files = await documentsIn(join(h.dir, 'fleet'));
    expect([...files.keys()]).toEqual(['a-b.yaml', 'a.yaml', 'alice.yaml', 'bob.yaml', 'rita.yaml']);
    const all = byName([...files.values()].flat());
    expect(all.size).toBe(9);
    const dev = all.get('alice--dev')!.spec;
    expect(dev).toEqual({
      owner: 'alice',
      organization: 'coder',
      name: 'dev',
      template: 'docker',
      // Seeded on v1, then v2 was promoted, so dev is outdated too: pinned where it is.
      version: { policy: 'Pinned', name: expect.any(String) },
      autostart: { schedule: '30 8 * * 1-5', timezone: 'Europe/Berlin' },
      ttl: '4h',
      dormant: false,
      favorite: false,
      automaticUpdates: 'never',
      deletionPolicy: 'Orphan',
      parameters: expect.any(Array),
    });
    // Autostart and auto-stop off, stopped: running false can be declared.
    expect(all.get('alice--quiet')!.spec).toMatchObject({ autostart: { enabled: false }, ttl: '0s', running: false });
    expect(all.get('bob--sleepy')!.spec).toMatchObject({ dormant: true, favorite: true });
    // Outdated, automatic updates off: pinned to the version it is on. With them on, Coder moves it: left out.
    expect(all.get('bob--old')!.spec.version).toEqual({ policy: 'Pinned', name: all.get('alice--dev')!.spec.version.name });
    expect(all.get('bob--follows')!.spec.version).toBeUndefined();
    // On the active version (made after the promotion).
    const params = all.get('alice--params')!.spec;
    expect(params.version).toEqual({ policy: 'Active' });
    // The ephemeral parameter lasts one build: not exported.
    expect(params.parameters).toEqual([
      { name: 'region', value: 'us' },
      { name: 'size', value: 'large' },
    ]);
    // Running with an auto-stop TTL: running: true would be refused; left out with the reason.
    expect(params.running).toBeUndefined();
    const aliceText = await readFile(join(h.dir, 'fleet', 'alice.yaml'), 'utf8');
    expect(aliceText).toMatch(/# running left out: the auto-stop TTL \(8h\) stops it/);
    expect(all.get('a--b-c')!.spec).toMatchObject({ owner: 'a', name: 'b-c' });
    expect(all.get('a-b--c')!.spec).toMatchObject({ owner: 'a-b', name: 'c' });
    expect(all.get('rita--exp')!.spec).toMatchObject({
      organization: 'research',
      template: 'lab',
      autostart: { schedule: '0 9 * * 1', timezone: 'UTC' },
    });

    // The round trip: plan shows adoptions only and changes nothing in Coder.
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'fleet']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 0 to create, 9 to adopt, 0 to change, 0 to delete, 0 to orphan, 0 blocked');
    expect(plan.stdout.split('\n').filter((l) => /^\s*[+~!-] /.test(l))).toEqual([]);
    expect(workspaceWrites()).toEqual([]);

    const apply = await h.cli(['apply', '-f', 'fleet']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(workspaceWrites()).toEqual([]);
    const again = await h.cli(['plan', '-f', 'fleet']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(workspaceWrites()).toEqual([]);
  });

  it('passes the search query to Coder: owner, template, organization, outdated', async () => {
    await fleet();
    const names = async (query: string) => {
      const out = await h.cli(['export', '-q', query]);
      expect(out.code, out.stderr).toBe(0);
      return documents(out.stdout).map((d) => d.metadata.name);
    };
    expect(await names('owner:alice')).toEqual(['alice--dev', 'alice--params', 'alice--quiet']);
    expect(await names('template:kubernetes')).toEqual(['a--b-c', 'a-b--c', 'alice--quiet']);
    expect(await names('organization:research')).toEqual(['rita--exp']);
    expect(await names('outdated:true owner:bob')).toEqual(['bob--follows', 'bob--old', 'bob--sleepy']);
    // The query goes to Coder as written, and only the list was read.
    const lists = h.sim.calls.filter((c) => c.route === '/api/v2/workspaces').map((c) => new URLSearchParams(c.query).get('q'));
    expect(lists).toEqual(['owner:alice', 'template:kubernetes', 'organization:research', 'outdated:true owner:bob']);
    expect(h.sim.calls.filter((c) => c.route.startsWith('/api/v2/workspacebuilds'))).toEqual([]);

    const unknown = await h.cli(['export', '-q', 'organization:nowhere']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('organization "nowhere" either does not exist');
    const none = await h.cli(['export', '-q', 'owner:nobody']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no workspace matches the query "owner:nobody"');
  });

  it('streams custom resources for a namespace, observe-only, that plan adopts without a change', async () => {
    await fleet();
    const out = await h.cli([
      'export',
      '--namespace',
      'team-a',
      '--connection-ref',
      'ClusterCoderConnection/shared',
      '--observe',
      '--version-policy',
      'none',
      '--omit',
      'dormant',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.startsWith('# Workspace declarations exported by cwo export from http://127.0.0.1:')).toBe(true);
    const docs = documents(out.stdout);
    expect(docs).toHaveLength(9);
    for (const d of docs) {
      expect(d.metadata.namespace).toBe('team-a');
      expect(d.spec.connectionRef).toEqual({ kind: 'ClusterCoderConnection', name: 'shared' });
      expect(d.spec.managementPolicies).toEqual(['Observe']);
      expect(d.spec.version).toBeUndefined();
      expect(d.spec.dormant).toBeUndefined();
      // Not asked for: favorites, parameters and run state stay unmanaged.
      expect(d.spec.favorite ?? d.spec.parameters ?? d.spec.running).toBeUndefined();
    }
    // Observe-only declarations never read favorites, so a favorite in them could not round-trip.
    const both = await h.cli(['export', '--observe', '--include-favorites']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('--include-favorites cannot go with --observe');
    expect(both.stdout).toBe('');
    await h.write('stream.yaml', out.stdout);
    h.resetCalls();
    const plan = await h.cli(['plan', '-f', 'stream.yaml', '--no-state']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(h.writes()).toEqual([]);
  });

  it('never overwrites an owner file unless told to, and then replaces it', async () => {
    await fleet();
    await h.cli(['export', '-q', 'owner:bob', '--out-dir', 'fleet']);
    await h.write('fleet/bob.yaml', '# edited by hand\n');
    const refused = await h.cli(['export', '--out-dir', 'fleet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/1 file\(s\) already exist in fleet .*bob\.yaml.*--overwrite/);
    // Refused before writing anything: no other owner's file appeared.
    expect(await readdir(join(h.dir, 'fleet'))).toEqual(['bob.yaml']);
    expect(await readFile(join(h.dir, 'fleet', 'bob.yaml'), 'utf8')).toBe('# edited by hand\n');

    const replaced = await h.cli(['export', '--out-dir', 'fleet', '--overwrite']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(byName(documents(await readFile(join(h.dir, 'fleet', 'bob.yaml'), 'utf8'))).size).toBe(3);
  });
});
