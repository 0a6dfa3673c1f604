// kubeRequest and the operator's Kubernetes calls built on it (lists, status and
// finalizer patches, Events, Leases, Secret reads): what goes on the wire, and
// how answers and refusals come back, against a local HTTP server that plays
// the apiserver.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isKubeConflict, kubeWriter } from '../../../src/controller/kube-writer.ts';
import { kubeLeaseClient, LeaseConflictError } from '../../../src/kube/lease-client.ts';
import { listerFor } from '../../../src/kube/listers.ts';
import { NAMESPACES, WORKSPACES } from '../../../src/controller/resources.ts';
import { ApiException, kubeRequest, MERGE_PATCH } from '../../../src/kube/api-request.ts';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

let server: Server;
let kc: KubeConfig;
let seen: Seen[] = [];
/** The next answers, in order; an empty queue answers 200 {}. */
let answers: Array<{ status: number; body: unknown }> = [];

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: await readBody(req),
    });
    const answer = answers.shift() ?? { status: 200, body: {} };
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Plain http, so client-node insists on skipTLSVerify (there is no TLS to verify).
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'the-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  answers = [];
});

describe('kubeRequest', () => {
  it('sends the method, path, query and JSON body with the kubeconfig credentials, and parses the answer', async () => {
    answers.push({ status: 201, body: { kind: 'Thing', metadata: { name: 'a' } } });
    const answer = await kubeRequest(kc, {
      method: 'POST',
      path: '/apis/g/v1/things',
      query: { limit: 5, labelSelector: 'a=b', continue: undefined },
      body: { spec: { x: 1 } },
    });
    expect(answer).toEqual({ kind: 'Thing', metadata: { name: 'a' } });
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/apis/g/v1/things',
        query: { limit: '5', labelSelector: 'a=b' },
        contentType: 'application/json',
        authorization: 'Bearer the-token',
        body: { spec: { x: 1 } },
      },
    ]);
  });

  it("rejects a non-2xx answer with client-node's ApiException, carrying the code and the apiserver's message", async () => {
    answers.push({ status: 409, body: { kind: 'Status', message: 'the object has been modified', code: 409 } });
    const error = await kubeRequest(kc, { method: 'GET', path: '/api/v1/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(409);
    expect((error as ApiException<unknown>).message).toContain('the object has been modified');
    expect((error as ApiException<unknown>).message).not.toContain('the-token');
  });
});

describe('the operator calls on kubeRequest', () => {
  it('lists every page, following continue tokens, with the selectors on each page', async () => {
    answers.push(
      { status: 200, body: { metadata: { continue: 'tok', resourceVersion: '5' }, items: [{ metadata: { name: 'a' } }] } },
      { status: 200, body: { metadata: { resourceVersion: '6' }, items: [{ metadata: { name: 'b' } }] } },
    );
    const list = await listerFor(kc, WORKSPACES, 'ns')({ labelSelector: 'x=y' });
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(list.metadata?.resourceVersion).toBe('6');
    expect(seen.map((s) => [s.path, s.query])).toEqual([
      ['/apis/coderops.dev/v1alpha1/namespaces/ns/workspaces', { labelSelector: 'x=y', limit: '500' }],
      ['/apis/coderops.dev/v1alpha1/namespaces/ns/workspaces', { labelSelector: 'x=y', limit: '500', continue: 'tok' }],
    ]);
  });

  it('lists a core kind at /api/v1', async () => {
    await listerFor(kc, NAMESPACES)({});
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/namespaces']);
  });

  it('patches status and finalizers as merge patches, namespaced and cluster-scoped', async () => {
    const writer = kubeWriter(kc, 'pod-1');
    await writer.patchStatus({ kind: 'Workspace', namespace: 'ns', name: 'w' }, { phase: 'x' });
    await writer.setFinalizers({ kind: 'ClusterCoderConnection', name: 'c' }, ['f'], '7');
    await writer.patchStatus({ kind: 'WorkspaceSet', namespace: 'ns', name: 's' }, { members: 2 });
    expect(seen.map((s) => [s.method, s.path, s.contentType, s.body])).toEqual([
      ['PATCH', '/apis/coderops.dev/v1alpha1/namespaces/ns/workspaces/w/status', MERGE_PATCH, { status: { phase: 'x' } }],
      [
        'PATCH',
        '/apis/coderops.dev/v1alpha1/clustercoderconnections/c',
        MERGE_PATCH,
        { metadata: { finalizers: ['f'], resourceVersion: '7' } },
      ],
      ['PATCH', '/apis/coderops.dev/v1alpha1/namespaces/ns/workspacesets/s/status', MERGE_PATCH, { status: { members: 2 } }],
    ]);
  });

  it('creates events.k8s.io/v1 Events in the object namespace', async () => {
    await kubeWriter(kc, 'pod-1').event({
      regarding: { kind: 'Workspace', namespace: 'ns', name: 'w', uid: 'u1' },
      type: 'Normal',
      reason: 'Created',
      action: 'Create',
      note: 'made it',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.path).toBe('/apis/events.k8s.io/v1/namespaces/ns/events');
    expect(seen[0]!.body).toMatchObject({
      kind: 'Event',
      reportingInstance: 'pod-1',
      reason: 'Created',
      regarding: { kind: 'Workspace', name: 'w', namespace: 'ns', uid: 'u1' },
    });
  });

  it("writes a set's children: POST never over a taken name, conditional merge patch, DELETE with uid precondition", async () => {
    const writer = kubeWriter(kc, 'pod-1');
    const child = {
      apiVersion: 'coderops.dev/v1alpha1',
      kind: 'Workspace' as const,
      metadata: { name: 'w', namespace: 'ns' },
      spec: { owner: 'alice', template: 'docker' },
    };
    const fieldManager = { fieldManager: 'the-set' };
    await writer.create(child, fieldManager);
    answers.push({ status: 409, body: { kind: 'Status', code: 409, reason: 'AlreadyExists' } });
    const taken = await writer.create(child, fieldManager).catch((e: unknown) => e);
    expect(isKubeConflict(taken)).toBe(true);
    await writer.patch({ kind: 'Workspace', namespace: 'ns', name: 'w' }, { metadata: { resourceVersion: '9' } }, fieldManager);
    await writer.delete({ kind: 'Workspace', namespace: 'ns', name: 'w', uid: 'u1' }, '9');
    await writer.delete({ kind: 'Workspace', namespace: 'ns', name: 'w', uid: 'u1' });
    const path = '/apis/coderops.dev/v1alpha1/namespaces/ns/workspaces';
    expect(seen.map((s) => [s.method, s.path, s.query, s.contentType?.split(';')[0], s.body])).toEqual([
      ['POST', path, fieldManager, 'application/json', child],
      ['POST', path, fieldManager, 'application/json', child],
      ['PATCH', `${path}/w`, fieldManager, MERGE_PATCH, { metadata: { resourceVersion: '9' } }],
      [
        'DELETE',
        `${path}/w`,
        {},
        'application/json',
        { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'u1', resourceVersion: '9' }, propagationPolicy: 'Background' },
      ],
      [
        'DELETE',
        `${path}/w`,
        {},
        'application/json',
        { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'u1' }, propagationPolicy: 'Background' },
      ],
    ]);
  });

  it('reads who controls an object, and undefined when it is gone', async () => {
    const writer = kubeWriter(kc, 'pod-1');
    answers.push(
      {
        status: 200,
        body: {
          metadata: {
            uid: 'c1',
            ownerReferences: [
              { apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'not-controller' },
              { apiVersion: 'coderops.dev/v1alpha1', kind: 'WorkspaceSet', name: 's', uid: 's1', controller: true },
            ],
          },
        },
      },
      { status: 200, body: { metadata: { uid: 'c2' } } },
      { status: 404, body: { kind: 'Status', code: 404 } },
    );
    const ref = { kind: 'Workspace' as const, namespace: 'ns', name: 'w' };
    expect(await writer.controllerOf(ref)).toEqual({ uid: 'c1', controllerUid: 's1' });
    expect(await writer.controllerOf(ref)).toEqual({ uid: 'c2', controllerUid: undefined });
    expect(await writer.controllerOf(ref)).toBeUndefined();
    expect(seen.map((s) => [s.method, s.path])).toEqual(Array(3).fill(['GET', '/apis/coderops.dev/v1alpha1/namespaces/ns/workspaces/w']));
  });

  it('reads one Secret key, and says which Secret is missing or forbidden', async () => {
    const writer = kubeWriter(kc, 'pod-1');
    answers.push({
      status: 200,
      body: { metadata: { labels: { l: '1' }, annotations: { a: '2' } }, data: { token: Buffer.from('s3cr3t').toString('base64') } },
    });
    expect(await writer.readSecret('ns', 'tok', 'token')).toEqual({ value: 's3cr3t', labels: { l: '1' }, annotations: { a: '2' } });
    expect(seen[0]!.path).toBe('/api/v1/namespaces/ns/secrets/tok');
    answers.push({ status: 404, body: { kind: 'Status', code: 404 } }, { status: 403, body: { kind: 'Status', code: 403 } });
    await expect(writer.readSecret('ns', 'gone', 'token')).rejects.toThrow('Secret ns/gone not found');
    await expect(writer.readSecret('ns', 'hidden', 'token')).rejects.toThrow('may not read Secret ns/hidden (403)');
  });

  it('reads, creates and updates the Lease, and turns a 409 into LeaseConflictError', async () => {
    const lease = kubeLeaseClient(kc, 'ops', 'cwo');
    answers.push({ status: 404, body: { kind: 'Status', code: 404 } });
    expect(await lease.get()).toBeUndefined();
    const record = { holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 0, acquireTime: 1_000, renewTime: 1_000 };
    answers.push({ status: 201, body: { metadata: { resourceVersion: '11' } } });
    expect(await lease.create(record)).toBe('11');
    answers.push({ status: 409, body: { kind: 'Status', code: 409 } });
    await expect(lease.update(record, '11')).rejects.toBeInstanceOf(LeaseConflictError);
    answers.push({
      status: 200,
      body: {
        metadata: { resourceVersion: '12' },
        spec: { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '1970-01-01T00:00:01.000000Z' },
      },
    });
    expect(await lease.get()).toMatchObject({ resourceVersion: '12', record: { holderIdentity: 'me', renewTime: 1_000 } });
    expect(seen.map((s) => [s.method, s.path])).toEqual([
      ['GET', '/apis/coordination.k8s.io/v1/namespaces/ops/leases/cwo'],
      ['POST', '/apis/coordination.k8s.io/v1/namespaces/ops/leases'],
      ['PUT', '/apis/coordination.k8s.io/v1/namespaces/ops/leases/cwo'],
      ['GET', '/apis/coordination.k8s.io/v1/namespaces/ops/leases/cwo'],
    ]);
    expect(seen[2]!.body).toMatchObject({ kind: 'Lease', metadata: { name: 'cwo', namespace: 'ops', resourceVersion: '11' } });
  });
});
