// The shared builders in test/support must make what the schema accepts:
// a test built on an object the operator would refuse tests nothing. And the
// per-test harness must refuse use outside a test rather than act on a stale
// simulator.
import { describe, expect, it } from 'vitest';
import { validateClusterCoderConnection, validateCoderConnection, validateWorkspace } from '../../../src/api/validate.ts';
import { clusterCoderConnection, coderConnection, coderConnectionManifest } from '../../support/coder-connection.ts';
import { harnessPerTest } from '../../support/harness-per-test.ts';
import { tokenSecret } from '../../support/token-secret.ts';
import { workspace, workspaceManifest, workspaceYaml } from '../../support/workspace.ts';

const errorsOf = (r: { ok: boolean; errors?: unknown }) => (r.ok ? [] : r.errors);

describe('test/support builders', () => {
  it('workspace(): a valid stored Workspace, overrides replacing only the fields named', () => {
    expect(errorsOf(validateWorkspace(workspace()))).toEqual([]);
    const ws = workspace({ ttl: '1h' }, { name: 'other', uid: 'u' }, { observedGeneration: 1 });
    expect(errorsOf(validateWorkspace(ws))).toEqual([]);
    expect(ws.spec).toEqual({ owner: 'alice', template: 'docker', name: 'alice-dev', ttl: '1h' });
    expect(ws.metadata).toMatchObject({ name: 'other', namespace: 'team-a', uid: 'u', generation: 1 });
    expect(ws.status).toEqual({ observedGeneration: 1 });
    expect('status' in workspace()).toBe(false);
  });

  it('workspaceManifest()/workspaceYaml(): only what a person writes, the same document as text', () => {
    const doc = workspaceManifest('dev', { owner: 'alice', template: 'docker' }, 'team-b');
    expect(doc).toEqual({
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: 'dev', namespace: 'team-b' },
      spec: { owner: 'alice', template: 'docker' },
    });
    expect(errorsOf(validateWorkspace(doc))).toEqual([]);
    expect(JSON.parse(workspaceYaml('dev', { owner: 'alice', template: 'docker' }, 'team-b'))).toEqual(doc);
  });

  it('coderConnection()/clusterCoderConnection(): valid, and a ClusterCoderConnection allows nobody by default', () => {
    expect(errorsOf(validateCoderConnection(coderConnection()))).toEqual([]);
    expect(errorsOf(validateCoderConnection(coderConnectionManifest('c', 'team-a', coderConnection().spec)))).toEqual([]);
    const cluster = clusterCoderConnection();
    expect(errorsOf(validateClusterCoderConnection(cluster))).toEqual([]);
    expect(cluster.spec.allow).toEqual([]);
    expect(coderConnection({}, { namespace: 'team-b' }).metadata).toMatchObject({ name: 'default', namespace: 'team-b' });
  });

  it('tokenSecret(): labelled as the operator requires, annotated only when asked, the token empty unless given', () => {
    expect(tokenSecret('s', 'ns').metadata).toEqual({ name: 's', namespace: 'ns', labels: { 'coderops.dev/secret-type': 'coder-token' } });
    expect(tokenSecret('s', 'ns', { allowedUrls: 'https://a' }).metadata.annotations).toEqual({ 'coderops.dev/allowed-urls': 'https://a' });
    expect(tokenSecret('s', 'ns').stringData).toEqual({ token: '' });
  });
});

describe('harnessPerTest()', () => {
  const h = harnessPerTest();

  it('forwards to the harness of the running test', async () => {
    const path = await h.write('x.txt', 'x');
    expect(path.startsWith(h.dir)).toBe(true);
    expect(h.sim.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});

describe('harnessPerTest() outside a test', () => {
  const h = harnessPerTest();
  // Read while vitest collects the file: no beforeEach has run, so there is no harness to forward to.
  const outside = (() => {
    try {
      return h.dir;
    } catch (e) {
      return (e as Error).message;
    }
  })();
  it('throws rather than hand out a harness that is not running', () => {
    expect(outside).toMatch(/no harness outside a test/);
  });
});
