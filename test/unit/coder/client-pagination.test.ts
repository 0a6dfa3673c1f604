// listWorkspaces: offset pages until Coder's count, de-duplicated by id.
import { afterEach, describe, expect, it } from 'vitest';
import { Snapshot } from '../../../src/engine/observe.ts';
import { fakeTime, sendJson, startServer, testClient, workspace, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${from + i}`);

/** Serves `all` (a function of the request index, so the list can change) like Coder does. */
async function serveList(all: (requestIndex: number) => string[]): Promise<TestServer> {
  return startServer((req, res, i) => {
    const list = all(i);
    const limit = Number(req.query.get('limit') ?? '0');
    const offset = Number(req.query.get('offset') ?? '0');
    const page = limit > 0 ? list.slice(offset, offset + limit) : list.slice(offset);
    const build = (id: string) => ({ id: `b-${id}`, build_number: 1, transition: 'start', status: 'running' });
    sendJson(res, 200, { workspaces: page.map((id) => workspace(id, { latest_build: build(id) })), count: list.length });
  });
}

function offsets(s: TestServer): number[] {
  return s.requests.map((r) => Number(r.query.get('offset')));
}

describe('listWorkspaces pagination', () => {
  it.each([
    ['exact pages', 6, 3, [0, 3]],
    ['short last page', 7, 3, [0, 3, 6]],
    ['one page', 2, 1000, [0]],
    ['nothing', 0, 3, [0]],
  ])('%s: %i workspaces, page size %i', async (_name, total, pageSize, expectedOffsets) => {
    server = await serveList(() => ids(total));
    const list = await testClient(server.url, fakeTime(), { listPageSize: pageSize }).listWorkspaces();
    expect(list.map((w) => w.id)).toEqual(ids(total));
    expect(offsets(server)).toEqual(expectedOffsets);
    for (const r of server.requests) expect(r.query.get('limit')).toBe(String(pageSize));
  });

  it('pageSize per call overrides the client default', async () => {
    server = await serveList(() => ids(5));
    await testClient(server.url, fakeTime()).listWorkspaces({ pageSize: 2 });
    expect(offsets(server)).toEqual([0, 2, 4]);
  });

  it('keeps one copy of a workspace that moved to the next page while paging', async () => {
    // Page 1 is read while w3 is stopped (last); then w3 starts and moves to
    // the front, pushing w2 onto page 2, so page 2 holds w2 again.
    const before = ['w0', 'w1', 'w2', 'w3'];
    const after = ['w3', 'w0', 'w1', 'w2'];
    server = await serveList((i) => (i === 0 ? before : after));
    const list = await testClient(server.url, fakeTime(), { listPageSize: 3 }).listWorkspaces();
    expect(list.map((w) => w.id).sort()).toEqual(['w0', 'w1', 'w2']); // w3 missed: the next resync finds it
    expect(new Set(list.map((w) => w.id)).size).toBe(list.length);
    expect(server.requests).toHaveLength(2);
  });

  it('forEachWorkspacePage hands over each page as it arrives; Snapshot.list keeps one copy', async () => {
    const before = ['w0', 'w1', 'w2', 'w3'];
    const after = ['w3', 'w0', 'w1', 'w2'];
    // Every pass sees w3 start between its two pages.
    server = await serveList((i) => (i % 2 === 0 ? before : after));
    const client = testClient(server.url, fakeTime(), { listPageSize: 3 });
    const pages: string[][] = [];
    await client.forEachWorkspacePage(undefined, (page) => pages.push(page.map((w) => w.id)));
    expect(pages).toEqual([['w0', 'w1', 'w2'], ['w2']]);
    const snapshot = await Snapshot.list(client);
    expect([...snapshot.byId.keys()].sort()).toEqual(['w0', 'w1', 'w2']);
    expect(server.requests).toHaveLength(4);
  });

  it('stops at an empty page even when count promises more', async () => {
    server = await startServer((req, res) =>
      sendJson(res, 200, { workspaces: req.query.get('offset') === '0' ? [workspace('a'), workspace('b')] : [], count: 10 }),
    );
    const list = await testClient(server.url, fakeTime(), { listPageSize: 2 }).listWorkspaces();
    expect(list.map((w) => w.id)).toEqual(['a', 'b']);
    expect(offsets(server)).toEqual([0, 2]);
  });

  it('stops once count is reached even if pages stay full', async () => {
    server = await startServer((req, res) => {
      const offset = Number(req.query.get('offset'));
      sendJson(res, 200, { workspaces: [workspace(`x${offset}`), workspace(`x${offset + 1}`)], count: 4 });
    });
    const list = await testClient(server.url, fakeTime(), { listPageSize: 2 }).listWorkspaces();
    expect(list).toHaveLength(4);
    expect(server.requests).toHaveLength(2);
  });

  it('an empty first page with a count is an incomplete list, never an empty one', async () => {
    // Coder v2.27.0 answers a token scoped workspace:read this way: it counts what it will not show.
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: [], count: 80 }));
    const error = await testClient(server.url, fakeTime())
      .listWorkspaces({ q: 'owner:alice' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CoderIncompleteListError', count: 80, offset: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('an empty list with count 0 is simply empty', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: [], count: 0 }));
    expect(await testClient(server.url, fakeTime()).listWorkspaces()).toEqual([]);
  });

  it('rejects an answer without workspaces and count', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { items: [] }));
    await expect(testClient(server.url, fakeTime()).listWorkspaces()).rejects.toThrow(/workspaces, count/);
  });
});
