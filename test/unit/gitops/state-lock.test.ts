import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_LOCK_STALE_MS, lockState } from '../../../src/gitops/state-lock.ts';

let dir: string;
let state: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cwo-lock-'));
  state = join(dir, 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.on('exit', done));
  return child.pid!;
}

const pidNamespace = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();
const lockText = (over: Record<string, unknown>) =>
  JSON.stringify({ pid: 1, host: hostname(), pidNamespace, startedAt: '2026-01-01T00:00:00.000Z', command: 'sync', token: 't', ...over });

describe('lockState', () => {
  it('is exclusive: a second taker is told who holds it; after release it can be taken again', async () => {
    const lock = await lockState(state, 'apply');
    const holder = JSON.parse(await readFile(`${state}.lock`, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), command: 'apply' });
    await expect(lockState(state, 'apply')).rejects.toThrow(
      `state file ${state} is locked by pid ${process.pid} on ${hostname()} (apply, since ${holder.startedAt})`,
    );
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    await (await lockState(state, 'apply')).release();
  });

  it('takes over a lock of a dead process on this host', async () => {
    await writeFile(`${state}.lock`, lockText({ pid: await deadPid() }));
    const lock = await lockState(state, 'apply');
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]); // nothing left aside
  });

  it('takes over a lock with its own pid that it does not hold (a restarted container keeps pid and hostname)', async () => {
    await writeFile(`${state}.lock`, lockText({ pid: process.pid, token: 'left by the last container' }));
    const lock = await lockState(state, 'sync');
    await expect(lockState(state, 'sync')).rejects.toThrow(`locked by pid ${process.pid}`); // but never one it holds
    await lock.release();
  });

  it('never takes over a lock of another host, or one it cannot read', async () => {
    await writeFile(`${state}.lock`, lockText({ pid: await deadPid(), host: 'elsewhere' }));
    await expect(lockState(state, 'apply')).rejects.toThrow(/locked by pid \d+ on elsewhere .*delete .*state\.json\.lock/);
    // Same hostname, another pid namespace (containers on the host network): its pids are not ours to judge.
    await writeFile(`${state}.lock`, lockText({ pid: await deadPid(), pidNamespace: 'pid:[1]' }));
    await expect(lockState(state, 'apply')).rejects.toThrow(/locked by pid \d+ on /);
    await writeFile(`${state}.lock`, '{"pid": 12');
    await expect(lockState(state, 'apply')).rejects.toThrow('locked by a process whose lock file cannot be read');
    // An empty lock this young may be a holder of an earlier version between its create and its write.
    await writeFile(`${state}.lock`, '');
    await expect(lockState(state, 'apply')).rejects.toThrow('locked by a process that has not written its lock file yet');
  });

  it('takes over an empty lock older than EMPTY_LOCK_STALE_MS (a crash between create and write), and only that one', async () => {
    await writeFile(`${state}.lock`, '');
    const old = new Date(Date.now() - EMPTY_LOCK_STALE_MS - 5_000);
    await utimes(`${state}.lock`, old, old);
    const lock = await lockState(state, 'apply');
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    await expect(readFile(`${state}.lock`, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('a lock never exists empty: it appears complete, and leaves no file of its own behind', async () => {
    const lock = await lockState(state, 'apply');
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8')).command).toBe('apply');
    expect((await readdir(dirname(state))).filter((f) => f.includes('.lock'))).toEqual(['state.json.lock']);
    await lock.release();
  });

  it('release leaves a lock that is no longer its own', async () => {
    const lock = await lockState(state, 'apply');
    await writeFile(`${state}.lock`, lockText({ pid: 2, token: 'someone else' }));
    await lock.release();
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8')).token).toBe('someone else');
  });

  it('a state directory that cannot be written is an error naming the state file', async () => {
    await symlink(join(dir, 'missing'), join(dir, 'link'));
    const path = join(dir, 'link', 'state.json');
    await expect(lockState(path, 'apply')).rejects.toThrow(`cannot write state file ${path} (ENOENT); nothing was changed in Coder`);
  });
});
