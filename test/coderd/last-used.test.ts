// What moves a workspace's last_used_at, the clock onlyWhenIdle reads, as a
// real coderd shows it (docs/lifecycle.md records the answer per version):
// builds do not (a workspace nobody uses stays idle through its update), reads
// do not, and a usage report (POST /workspaces/{id}/usage, what `coder ssh`,
// port-forward and the dashboard send) does, once coderd's usage tracker has
// flushed its batch (about once a minute).
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { uniqueName } from './cli-harness.ts';
import { server, world } from './world.ts';

const coder = server();

async function lastUsed(id: string): Promise<number> {
  return Date.parse((await coder.admin.get(`/api/v2/workspaces/${id}`)).last_used_at);
}

async function build(id: string, transition: 'start' | 'stop'): Promise<void> {
  await coder.admin.request('POST', `/api/v2/workspaces/${id}/builds`, { transition });
  const ws = await coder.admin.waitBuild(id);
  expect(ws.latest_build).toMatchObject({ transition, job: { status: 'succeeded' } });
}

async function created(): Promise<string> {
  const ws = await coder.admin.request('POST', '/api/v2/users/bob/workspaces', {
    name: uniqueName('idle'),
    template_id: coder.templates.plain,
  });
  await coder.admin.waitBuild(ws.id);
  return ws.id;
}

describe(`last_used_at on a real coderd ${world().version}`, { timeout: 300_000 }, () => {
  it('is not moved by builds or reads; a usage report moves it when coderd flushes its usage batch', async () => {
    // Two workspaces through the same update builds (stop, then start) and reads; then a usage report for one.
    // The flush that carries the report carries anything the builds had marked before it, so once the
    // used one moves, the other shows whether builds move it.
    const idle = await created();
    const used = await created();
    const atCreate = new Map([
      [idle, await lastUsed(idle)],
      [used, await lastUsed(used)],
    ]);
    for (const id of [idle, used]) {
      await build(id, 'stop');
      await build(id, 'start');
      for (let i = 0; i < 3; i++) await coder.admin.get(`/api/v2/workspaces/${id}`);
    }
    // No body: the form `coder ssh` and port-forward send (v2.13 and later).
    const reported = Date.now();
    await coder.admin.request('POST', `/api/v2/workspaces/${used}/usage`);
    const moved = await eventually(
      'last_used_at to move after a usage report',
      async () => {
        const at = await lastUsed(used);
        return at > atCreate.get(used)! ? at : undefined;
      },
      150_000,
      { everyMs: 2_000 },
    );
    const flushedAfter = Date.now() - reported;
    // Stamped when the batch is written, not at create or by the builds.
    expect(moved).toBeGreaterThanOrEqual(reported - 1_000);
    expect(await lastUsed(idle)).toBe(atCreate.get(idle));
    process.stdout.write(
      `[coderd-last-used] ${world().version}: builds and reads left last_used_at alone; a usage report moved it after ` +
        `${Math.round(flushedAfter / 1000)} s\n`,
    );
  });
});
