// forEachUserPage and getGroupByName: the reads of WorkspaceSet generators.
import { afterEach, describe, expect, it } from 'vitest';
import { CoderListBoundError } from '../../../src/coder/errors.ts';
import { fakeTime, sendJson, startServer, testClient, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const users = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `u${i}`, username: `user${i}`, organization_ids: [] }));

describe('forEachUserPage', () => {
  it('pages GET /users by offset until the count, passing the query verbatim', async () => {
    const all = users(5);
    server = await startServer((req, res) => {
      const limit = Number(req.query.get('limit'));
      const offset = Number(req.query.get('offset'));
      sendJson(res, 200, { users: all.slice(offset, offset + limit), count: all.length });
    });
    const seen: string[] = [];
    await testClient(server.url, fakeTime(), { listPageSize: 2 }).forEachUserPage({ q: 'status:active Role:owner' }, (page) =>
      seen.push(...page.map((u) => u.username)),
    );
    expect(seen).toEqual(all.map((u) => u.username));
    expect(server.requests.map((r) => [r.path, r.query.get('q'), r.query.get('offset')])).toEqual([
      ['/api/v2/users', 'status:active Role:owner', '0'],
      ['/api/v2/users', 'status:active Role:owner', '2'],
      ['/api/v2/users', 'status:active Role:owner', '4'],
    ]);
  });

  it('is bounded like the workspace list: a count above --max-list-items fails at the first page', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { users: users(2), count: 1e15 }));
    const error = await testClient(server.url, fakeTime(), { listMaxItems: 100 })
      .forEachUserPage({}, () => {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderListBoundError);
    expect((error as Error).message).toMatch(/^listing the users of Coder at .* stopped: the server reports 1000000000000000 users/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('getGroupByName', () => {
  it('reads the group by organization and name, path-escaped', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { id: 'g', name: 'a b', members: [], total_member_count: 0 }));
    await testClient(server.url, fakeTime()).getGroupByName('default', 'a b');
    expect(server.requests[0]!.path).toBe('/api/v2/organizations/default/groups/a%20b');
  });
});
