import { describe, expect, it } from 'vitest';
import { validateWorkspace } from '../../../src/api/validate.ts';
import { childName, coderWorkspaceName, MEMBER_LABEL, SET_LABEL, stampChild } from '../../../src/fleet/stamp.ts';
import { workspaceSet } from './fixtures.ts';

describe('stampChild', () => {
  it('makes the member the owner and labels the child with its set and member', () => {
    const child = stampChild(workspaceSet(), { username: 'Alice' });
    expect(child).toEqual({
      name: 'devs-alice',
      member: 'Alice',
      labels: { [SET_LABEL]: 'devs', [MEMBER_LABEL]: 'Alice' },
      annotations: {},
      spec: { template: 'go-dev', ttl: '8h', owner: 'Alice', name: 'devs-alice' },
    });
  });

  it('substitutes {{username}} in metadata.name and spec.name only', () => {
    const set = workspaceSet({
      template: {
        metadata: { name: 'ws-{{username}}', labels: { team: '{{username}}' }, annotations: { note: '{{username}}' } },
        spec: { template: 'go-dev', name: '{{username}}-dev', parameters: [{ name: 'repo', value: '{{username}}' }] },
      },
    });
    const child = stampChild(set, { username: 'bob' });
    expect(child.name).toBe('ws-bob');
    expect(child.spec.name).toBe('bob-dev');
    expect(child.labels.team).toBe('{{username}}');
    expect(child.annotations.note).toBe('{{username}}');
    expect(child.spec.parameters).toEqual([{ name: 'repo', value: '{{username}}' }]);
  });

  it("lays a list member's overrides over the template, parameters by name", () => {
    const set = workspaceSet({
      template: {
        spec: {
          template: 'go-dev',
          ttl: '8h',
          parameters: [
            { name: 'cpu', value: '2' },
            { name: 'region', value: 'eu' },
          ],
        },
      },
    });
    const child = stampChild(set, {
      username: 'carol',
      overrides: {
        ttl: '0s',
        running: true,
        parameters: [
          { name: 'cpu', value: '8' },
          { name: 'gpu', value: 'yes' },
        ],
      },
    });
    expect(child.spec).toMatchObject({ ttl: '0s', running: true, owner: 'carol' });
    expect(child.spec.parameters).toEqual([
      { name: 'cpu', value: '8' },
      { name: 'region', value: 'eu' },
      { name: 'gpu', value: 'yes' },
    ]);
  });

  it('gives a valid Workspace for any Coder username, also at the longest', () => {
    const long = `a${'-b'.repeat(15)}c`; // 32 characters, Coder's maximum
    for (const username of ['x', 'Alice', long, 'a1-b2']) {
      const child = stampChild(workspaceSet({}, 'a-very-long-set-name-for-the-platform-team'), { username });
      const doc = {
        apiVersion: 'coderops.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: child.name, namespace: 'team-a', labels: child.labels },
        spec: child.spec,
      };
      expect(validateWorkspace(doc), `${username}: ${JSON.stringify(doc)}`).toMatchObject({ ok: true });
    }
  });

  it('shortens a too long Coder name with a hash of the username, so two members never share it', () => {
    const pattern = 'a-very-long-prefix-for-everyone-{{username}}';
    const one = coderWorkspaceName(pattern, 'alice');
    const two = coderWorkspaceName(pattern, 'alicf');
    expect(one.length).toBeLessThanOrEqual(32);
    expect(one).not.toBe(two);
    expect(one).toMatch(/^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/);
    expect(coderWorkspaceName('{{username}}', 'new')).not.toBe('new'); // Coder reserves it
  });

  it('lowercases the username in metadata.name', () => {
    expect(childName('{{username}}-ws', 'BoB')).toBe('bob-ws');
  });
});
