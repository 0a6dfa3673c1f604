// Runs the real CLI (child process) against a real coderd through a recording
// proxy, with a state file in a temp dir of its own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, workspaceYaml, type CliResult } from '../integration/harness.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { server, type WorldServer } from './world.ts';
import type { CoderApi } from './coder-api.ts';

export { workspaceYaml };

export interface CoderdCli {
  coder: WorldServer & { admin: CoderApi };
  proxy: RecordingProxy;
  dir: string;
  /** Writes the documents (objects) as one YAML stream to ws.yaml. */
  declare(...docs: string[]): Promise<void>;
  cli(args: string[], opts?: { token?: string; env?: Record<string, string> }): Promise<CliResult>;
  state(): Promise<any>;
  close(): Promise<void>;
}

export async function startCoderdCli(opts: { allowRenames?: boolean } = {}): Promise<CoderdCli> {
  const coder = server(opts);
  const proxy = await startRecordingProxy(coder.url);
  const dir = await mkdtemp(join(tmpdir(), 'cwo-coderd-cli-'));
  return {
    coder,
    proxy,
    dir,
    declare: (...docs) => writeFile(join(dir, 'ws.yaml'), docs.join('\n---\n')),
    cli: (args, o = {}) =>
      runCli(args, { cwd: dir, env: { CODER_URL: proxy.url, CODER_SESSION_TOKEN: o.token ?? coder.adminToken, ...o.env } }),
    state: async () => JSON.parse(await readFile(join(dir, '.cwo-state.json'), 'utf8')),
    async close() {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A name of its own per test (the servers live for the whole run). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}
