// Runs the real CLI (a child process, real exit codes) against the Coder
// simulator on loopback, and counts the calls the simulator recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSwagger, SwaggerContract } from '../../src/coder-sim/contract.ts';
import { startCoderSimulator, type CoderSimulator, type SimulatorOptions } from '../../src/coder-sim/index.ts';
import { ON_CI } from '../support/real-part.ts';
import { SWAGGER_HINT } from '../support/swagger.ts';

export const CLI = resolve(import.meta.dirname, '../../src/cli/main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  sim: CoderSimulator;
  dir: string;
  /** Writes a file in the harness's temp dir and returns its path. */
  write(name: string, text: string): Promise<string>;
  /** Runs `cwo <args>` as the given seeded user (default admin) with a state file in the temp dir. */
  cli(args: string[], opts?: { user?: string; stdin?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Calls that changed something in Coder since the last reset. */
  writes(): { method: string; route: string; status: number }[];
  /**
   * Every request the CLI sent must be an operation swagger.json defines,
   * with a body that fits it, and every answer must fit too; [] when so.
   * Without the swagger file there is nothing to check against: [] locally
   * (the contract suite says so), a problem on CI, where it must be present
   * (test/support/real-part.ts).
   */
  contractProblems(): string[];
  /** Forgets the recorded calls (after checking them against the contract). */
  resetCalls(): void;
  close(): Promise<void>;
}

const swagger = loadSwagger();
const contract = swagger ? new SwaggerContract(swagger) : undefined;

const READ_METHODS = new Set(['GET', 'HEAD']);

/** CODER_SIM_VERSION=2.27.0 runs the whole tier against that Coder's differences (src/coder-sim/versions.ts). */
const SIM_VERSION_FROM_ENV = process.env.CODER_SIM_VERSION ? { coderVersion: process.env.CODER_SIM_VERSION } : {};

export async function startHarness(opts: SimulatorOptions = {}): Promise<Harness> {
  const sim = await startCoderSimulator({ validateResponses: contract !== undefined, ...SIM_VERSION_FROM_ENV, ...opts });
  const dir = await mkdtemp(join(tmpdir(), 'cwo-it-'));
  let earlier: string[] = [];
  const harness: Harness = {
    sim,
    dir,
    async write(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cli(args, o = {}) {
      return runCli(args, {
        cwd: dir,
        stdin: o.stdin,
        env: { CODER_URL: sim.url, CODER_SESSION_TOKEN: sim.tokenFor(o.user ?? 'admin'), ...o.env },
      });
    },
    writes() {
      return sim.calls.filter((c) => !READ_METHODS.has(c.method)).map((c) => ({ method: c.method, route: c.route, status: c.status }));
    },
    contractProblems() {
      if (!contract) return ON_CI ? [`contract not checked on CI: ${SWAGGER_HINT}`] : [];
      const problems = [...earlier, ...sim.contractViolations];
      for (const call of sim.calls) {
        const op = contract.matchOperation(call.method, call.path);
        if (!op) problems.push(`${call.method} ${call.path}: not an operation in swagger.json`);
        else if (call.requestBody !== undefined) problems.push(...contract.checkRequest(call.method, op.route, call.requestBody));
      }
      return problems;
    },
    resetCalls() {
      earlier = harness.contractProblems();
      sim.contractViolations.length = 0;
      sim.resetCalls();
    },
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string | undefined }): Promise<CliResult> {
  return spawnCli(args, opts).result;
}

/** Like runCli, with the child exposed (to kill it); `result` settles when it exits, however it ends. */
export function spawnCli(
  args: string[],
  opts: { cwd: string; env: Record<string, string>; stdin?: string | undefined },
): { child: ChildProcess; result: Promise<CliResult & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const result = new Promise<CliResult & { signal: NodeJS.Signals | null }>((done, fail) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code: code ?? -1, signal, stdout, stderr }));
  });
  // A child killed before it read stdin makes the pipe fail with EPIPE; that is not an error here.
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.stdin ?? '');
  return { child, result };
}

/** The shared manifest builder, re-exported for the CLI tests that import it from here. */
export { workspaceYaml } from '../support/workspace.ts';
