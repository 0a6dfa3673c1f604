// Issue 18 item 5: a workspace list ends, whatever the server says. A hostile
// server answering `count: 1e15` with new workspaces on every page grew
// `cwo plan` past 1.3 GB in 73 s on main, and the operator alike. The list is
// bounded by items (count or received), pages and a whole-list deadline, each
// failing with an error that names the deployment and the bound to raise.
// A real fleet of 40,000 lists under the defaults.
import { afterEach, describe, expect, it } from 'vitest';
import { CoderListBoundError } from '../../../src/coder/errors.ts';
import { Snapshot } from '../../../src/engine/observe.ts';
import { fakeTime, sendJson, startServer, testClient, workspace, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A page of `n` workspaces never sent before. */
let next = 0;
const build = { id: 'b', build_number: 1, transition: 'start', status: 'running' };
const fresh = (n: number) => Array.from({ length: n }, () => workspace(`w${next++}`, { latest_build: build }));

async function failure(p: Promise<unknown>): Promise<CoderListBoundError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CoderListBoundError);
  return error as CoderListBoundError;
}

describe('a workspace list is bounded', () => {
  it('count: 1e15 with 2,000 new workspaces per page: stops at the first page, naming the connection and the bound', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: fresh(2000), count: 1e15 }));
    const client = testClient(server.url, fakeTime(), { source: 'connection CoderConnection/team-a/default' });
    const error = await failure(Snapshot.list(client));
    expect(server.requests).toHaveLength(1);
    expect(error.bound).toBe('items');
    expect(error.message).toBe(
      'listing the workspaces of connection CoderConnection/team-a/default stopped: the server reports 1000000000000000 workspaces, ' +
        'more than the 100000 a list may hold; if the deployment really has that many, raise the bound (--max-list-items)',
    );
  });

  it('the CLI (no source given) is named by its URL', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: fresh(10), count: 1e15 }));
    const error = await failure(testClient(server.url, fakeTime()).listWorkspaces());
    expect(error.message).toMatch(new RegExp(`^listing the workspaces of Coder at ${server.url} stopped: `));
  });

  it('a server that ignores the page size and sends more than it counts: stops once more arrived than the bound', async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: fresh(300), count: 1000 }));
    const client = testClient(server.url, fakeTime(), { listMaxItems: 1000, listPageSize: 100 });
    const error = await failure(client.listWorkspaces());
    expect(error.bound).toBe('items');
    expect(error.message).toContain('the server sent 1200 workspaces, more than the 1000 a list may hold');
    expect(server.requests).toHaveLength(4);
  });

  it('more pages than the page bound: stops there (by default the bound follows from the items: never reached first)', async () => {
    const same = fresh(100);
    server = await startServer((_req, res) => sendJson(res, 200, { workspaces: same, count: 1000 }));
    const client = testClient(server.url, fakeTime(), { listMaxItems: 1000, listPageSize: 100, listMaxPages: 3 });
    const error = await failure(client.listWorkspaces());
    expect(error.bound).toBe('pages');
    expect(server.requests).toHaveLength(3);
    expect(error.message).toContain('3 pages of up to 100 did not reach the end of the list');
  });

  it('a slow server: the whole list ends at its deadline, however many pages are left (clock moved by the server)', async () => {
    let t = 1_000_000;
    server = await startServer((_req, res) => {
      t += 40_000; // every page takes 40 s of the client's clock
      sendJson(res, 200, { workspaces: fresh(100), count: 10_000 });
    });
    const client = testClient(server.url, fakeTime(), { listPageSize: 100, listDeadlineMs: 120_000, now: () => t });
    const error = await failure(client.listWorkspaces());
    expect(error.bound).toBe('deadline');
    expect(server.requests).toHaveLength(3);
    expect(error.message).toContain(
      '3 pages (300 workspaces) took longer than 120s; if the deployment is that slow to list, raise the bound (--list-deadline)',
    );
  });

  it('a fleet of 40,000 lists under the defaults (20 pages of 2,000)', async () => {
    const all = Array.from({ length: 40_000 }, (_, i) => workspace(`f${i}`, { latest_build: build }));
    server = await startServer((req, res) => {
      const offset = Number(req.query.get('offset'));
      const limit = Number(req.query.get('limit'));
      sendJson(res, 200, { workspaces: all.slice(offset, offset + limit), count: all.length });
    });
    const snapshot = await Snapshot.list(testClient(server.url, fakeTime()));
    expect(snapshot.size).toBe(40_000);
    expect(server.requests).toHaveLength(20);
  });
});
