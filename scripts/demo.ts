// npm run demo: the whole CLI flow against the bundled Coder simulator, no
// Coder deployment needed. Plan, apply, then plan and apply again to show that
// a converged state costs reads only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCoderSimulator } from '../src/coder-sim/index.ts';
import { loadSeedFile } from '../src/coder-sim/seed.ts';
import { buildProgram } from '../src/cli/program.ts';
import { painter } from '../src/cli/colour.ts';

const root = resolve(import.meta.dirname, '..');
const examples = join(root, 'examples', 'workspaces');
const sim = await startCoderSimulator({ seed: loadSeedFile(join(root, 'examples', 'coder-sim-seed.yaml')), buildDurationMs: 300 });
const dir = await mkdtemp(join(tmpdir(), 'cwo-demo-'));
const state = join(dir, 'state.json');
process.env.CODER_URL = sim.url;
process.env.CODER_SESSION_TOKEN = sim.tokenFor('admin');

// Bold on a terminal only: `npm run demo > demo.txt` gets plain text.
const bold = painter('stdout').bold;

function banner(text: string): void {
  process.stdout.write(`\n${bold(`== ${text}`)}\n`);
}

async function cwo(...args: string[]): Promise<number> {
  process.stdout.write(`$ cwo ${args.join(' ')}\n`);
  let code = -1;
  await buildProgram((c) => (code = c)).parseAsync(['node', 'cwo', ...args, '--state', state]);
  process.stdout.write(`(exit ${code})\n`);
  return code;
}

function callSummary(from: number): string {
  const calls = sim.calls.slice(from);
  const reads = calls.filter((c) => c.method === 'GET').length;
  const tokenCalls = calls.filter((c) => c.method !== 'GET' && c.route.includes('/keys/')).length;
  const workspaceWrites = calls.filter((c) => c.method !== 'GET' && !c.route.includes('/keys/')).length;
  return `${calls.length} Coder calls: ${reads} reads, ${workspaceWrites} workspace writes, ${tokenCalls} owner-token calls (mint/delete)`;
}

let exit = 0;
try {
  banner(`Coder simulator at ${sim.url} (seeded with admin, alice, bob, carol; carol-scratch already exists)`);
  banner('1. plan: what would change');
  await cwo('plan', '-f', examples);

  banner('2. apply');
  let mark = sim.calls.length;
  if ((await cwo('apply', '-f', examples)) !== 0) exit = 1;
  process.stdout.write(`${callSummary(mark)}\n`);

  banner('3. plan again: nothing to do');
  mark = sim.calls.length;
  const planAgain = await cwo('plan', '-f', examples);
  process.stdout.write(`${callSummary(mark)}\n`);

  banner('4. apply again: no workspace writes');
  mark = sim.calls.length;
  await cwo('apply', '-f', examples);
  const summary = callSummary(mark);
  process.stdout.write(`${summary}\n`);
  if (planAgain !== 0 || !summary.includes(' 0 workspace writes')) {
    process.stdout.write('unexpected: the second run was not quiet\n');
    exit = 1;
  }
  await new Promise((r) => setTimeout(r, 400)); // let the simulated builds finish
  banner('5. status');
  await cwo('status', '-f', examples);
} finally {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = exit;
