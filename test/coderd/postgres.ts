// A throw-away PostgreSQL cluster for the real-coderd tier, from Debian's
// postgresql package: its own data directory, no TCP listener at all (only a
// unix socket in that directory, which processes in coderd's network
// namespace reach through the shared filesystem), trust auth, fsync off.
// PostgreSQL refuses to run as root, so it runs as the package's `postgres`
// user.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killGroup, startDetached, waitFor } from '../control-plane/processes.ts';

const run = promisify(execFile);

export interface Postgres {
  /** Directory of the unix socket (the libpq `host`). */
  socketDir: string;
  /** A new empty database and its connection URL for coderd. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, e.g. /usr/lib/postgresql/15/bin. */
function serverBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL server not installed: apt-get install postgresql (.ci/run does)');
  return join(root, newest, 'bin');
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(dir: string): Promise<Postgres> {
  const bin = serverBin();
  const data = join(dir, 'pgdata');
  await mkdir(data, { recursive: true });
  const owner = await ids('postgres');
  await chown(dir, owner.uid, owner.gid);
  await chown(data, owner.uid, owner.gid);
  const asPostgres = (cmd: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]);
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const server: ChildProcess = startDetached(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      join(bin, 'postgres'),
      '-D',
      data,
      '-c',
      'listen_addresses=',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      // Two coderd servers keep pools of their own.
      '-c',
      'max_connections=300',
    ],
    join(dir, 'postgres.log'),
  );
  const psql = (sql: string) =>
    run('runuser', [
      '-u',
      'postgres',
      '--',
      join(bin, 'psql'),
      '-h',
      dir,
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ]);
  await waitFor('postgres', server, () => psql('select 1').then(() => true), 30_000);
  return {
    socketDir: dir,
    async createDatabase(name) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await psql(`create database ${name}`);
      return `postgres://postgres@/${name}?host=${encodeURIComponent(dir)}&sslmode=disable`;
    },
    stop: () => killGroup(server, 10_000),
  };
}
