// The real-coderd tier's world, started once per run: a loopback-only network
// namespace, one PostgreSQL, and two coderd servers of the version under test
// (CWO_CODERD_VERSION, default the newest pin): one that allows workspace
// renames and one that does not (Coder's default), each bootstrapped with an
// Owner, members and templates. The e2e tier's control plane is started too,
// for the operator's tests. Everything is torn down afterwards, also when
// tests failed.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../control-plane/control-plane.ts';
import { bootstrapCoderd, createTemplate, createUser } from './bootstrap.ts';
import { coderdBinaries, pinnedCoderdVersions, startCoderd } from './coderd.ts';
import { createNetns } from './netns.ts';
import { startPostgres } from './postgres.ts';
import { EXPERIMENTS, MEMBERS, TEMPLATES, type World, type WorldServer } from './world.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    coderd: World;
    kubeconfig: string;
    server: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const version = process.env.CWO_CODERD_VERSION ?? pinnedCoderdVersions()[0]!;
  const bin = coderdBinaries(version);
  if (!existsSync(bin.coder) || !existsSync(bin.echotar)) {
    // Never a silent skip: the tier exists to meet a real server.
    throw new Error(`coderd ${version} is not built: run bash test/coderd/build-coderd.sh ${version}`);
  }
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'cwo-coderd-'));
  // PostgreSQL runs as its own user and must reach its directory below this one.
  await chmod(dir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => process.stderr.write(`[coderd] teardown: ${e}\n`));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const netns = await createNetns();
    stops.push(() => netns.close());
    const pg = await startPostgres(join(dir, 'pg'));
    stops.push(() => pg.stop());
    const plane = await startControlPlane();
    stops.push(() => plane.stop());

    const servers: WorldServer[] = [];
    for (const allowRenames of [true, false]) {
      const db = allowRenames ? 'coder_renames' : 'coder_default';
      const experiments = allowRenames ? EXPERIMENTS : [];
      const server = await startCoderd({ version, netns, pgUrl: await pg.createDatabase(db), dir, allowRenames, experiments });
      stops.push(() => server.stop());
      const b = await bootstrapCoderd(server.url);
      const users: Record<string, string> = { admin: b.adminId };
      for (const name of MEMBERS) users[name] = await createUser(b, name);
      const templates: Record<string, string> = {};
      for (const t of TEMPLATES) templates[t.name] = (await createTemplate(b, bin.echotar, t.name, t.spec, t.settings)).id;
      servers.push({ url: server.url, adminToken: b.admin.token, orgId: b.orgId, users, templates, allowRenames, experiments });
    }
    const world: World = { version, echotar: bin.echotar, netns: netns.name, links: await netns.links(), servers };
    project.provide('coderd', world);
    project.provide('kubeconfig', plane.kubeconfig);
    project.provide('server', plane.server);
    process.stdout.write(`[coderd] ${version}: 2 servers, postgres and control plane up in ${Date.now() - started} ms\n`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
