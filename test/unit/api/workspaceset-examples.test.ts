// examples/workspaceset/ must stay valid as the schema changes, and stamp the
// children the guide (docs/guides/workspace-per-member.md) says they do.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWorkspace, validateWorkspaceSet } from '../../../src/api/validate.ts';
import { stampChild } from '../../../src/fleet/stamp.ts';
import { loadDeclarations } from '../../../src/gitops/load.ts';

const DIR = join(import.meta.dirname, '../../../examples/workspaceset');

describe('examples/workspaceset', () => {
  it('loads without an error, and every stamped child is a valid Workspace', async () => {
    expect(readdirSync(DIR).sort()).toEqual(['active-users.yaml', 'group-members.yaml', 'list-with-overrides.yaml']);
    const loaded = await loadDeclarations([DIR]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.sets.map((s) => s.key)).toEqual(['team-a/devs', 'team-platform/platform', 'team-ml/ml']);
    expect(loaded.workspaces.map((w) => w.key)).toEqual(['team-ml/shared-notebook']);
    for (const { set } of loaded.sets) {
      expect(validateWorkspaceSet(structuredClone(set))).toMatchObject({ ok: true });
      const child = stampChild(set, { username: 'Alice' });
      const doc = {
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: child.name, namespace: 'x' },
        spec: child.spec,
      };
      expect(validateWorkspace(doc), set.metadata.name).toMatchObject({ ok: true });
    }
  });

  it('the guide’s names: dev-alice is called dev in Coder; alice gets 16 CPUs, bob an always-on workspace', async () => {
    const { sets } = await loadDeclarations([DIR]);
    const [devs, platform, ml] = sets.map((s) => s.set);
    expect(stampChild(devs!, { username: 'alice' })).toMatchObject({ name: 'dev-alice', spec: { owner: 'alice', name: 'dev' } });
    expect(stampChild(platform!, { username: 'bob' })).toMatchObject({ name: 'platform-bob', spec: { name: 'bob-platform' } });
    const elements = ml!.spec.generators[0]!.list!.elements;
    const alice = stampChild(ml!, { username: 'alice', overrides: elements[0]!.overrides! });
    expect(alice.spec.parameters).toEqual([
      { name: 'cpu', value: '16' },
      { name: 'region', value: 'eu-west' },
    ]);
    expect(stampChild(ml!, { username: 'bob', overrides: elements[1]!.overrides! }).spec).toMatchObject({ ttl: '0s', running: true });
  });
});
