// The apply a person watches: a real terminal (tmux) runs `cwo apply` of
// 500 workspaces against the simulator, and the test reads the progress bar
// off the screen: how many are done of the total, the rate and the ETA.
// Colours follow the terminal and NO_COLOR; a pipe gets no escape codes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredOnCi } from '../support/real-part.ts';
import { CLI, startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

const run = promisify(execFile);
const ESC = String.fromCharCode(27);
/** An SGR sequence (colour, bold), and one that sets anything but the reset (0). */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`);
const SGR_SET = new RegExp(`${ESC}\\[[0-9;]*[1-9][0-9;]*m`);

async function hasTmux(): Promise<boolean> {
  try {
    await run('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

const TMUX = await hasTmux();
requiredOnCi('tmux', TMUX, 'install it (Debian: apt-get install tmux; .ci/run does)');

/** A tmux server of this test's own (its own socket), so nothing else's sessions are touched. */
const SOCKET = `cwo-test-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', SOCKET, ...args]);
const screen = async (name: string, escapes = false) => (await tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name)).stdout;

async function until(what: string, name: string, test: (text: string) => boolean, timeoutMs = 180_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await screen(name);
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: SEED });
});

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  await h?.close();
});

/** Starts `cwo <args>` in a new tmux window of `cols`x40; the shell prints EXIT=<code> after it. */
async function inTerminal(name: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const vars = { CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin'), ...env };
  const assign = Object.entries(vars).map(([k, v]) => `${k}='${v}'`);
  const command = `cd '${h.dir}' && env -u NO_COLOR -u FORCE_COLOR -u CI ${assign.join(' ')} '${process.execPath}' '${CLI}' ${args.join(' ')}; echo EXIT=$?; sleep 600`;
  await tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '40', command);
}

describe.runIf(TMUX)('cwo apply in a terminal', () => {
  it('shows a progress bar with the total, the rate and an ETA, then the summary', async () => {
    const owners = ['admin', 'alice', 'bob', 'carol'];
    const docs = Array.from({ length: 500 }, (_, i) => workspaceYaml(`ws-${i}`, { owner: owners[i % 4]!, template: 'docker' }));
    await h.write('five-hundred.yaml', docs.join('\n---\n'));
    // Creates are limited per owner (Coder's limit is per path, the client's too, 400 a minute by default):
    // 32 in flight over 4 owners queue on the limit, which the bar notes, and the run lasts long enough to watch.
    await inTerminal('apply', ['apply', '-f', 'five-hundred.yaml', '--concurrency', '32', '--state', 'apply.json']);
    const bar = /[█░]+ (\d+)\/500 workspaces \| (\d+) failed \| ([\d.]+)\/s \| ETA (\S+)/;
    const midway = await until('the bar part-way', 'apply', (s) => {
      const m = bar.exec(s);
      return m !== null && Number(m[1]) > 0 && Number(m[1]) < 500;
    });
    const m = bar.exec(midway)!;
    expect(Number(m[2])).toBe(0);
    expect(Number(m[3])).toBeGreaterThan(0);
    expect(m[4]).toMatch(/^(\d+[hms])+$/);
    // Each change is printed above the bar.
    expect(midway).toMatch(/✓ create team-a\/ws-\d+ \(owner \w+, template docker/);
    await until('the rate-limit note', 'apply', (s) => /ETA \S+ \| waiting for Coder's rate limit \(\d+s\)/.test(s));
    const end = await until('the end', 'apply', (s) => s.includes('EXIT='));
    expect(end).toContain('500/500 workspaces | 0 failed');
    expect(end).toContain('Apply complete: 500 created');
    expect(end).toContain('EXIT=0');
    // On a terminal the markers are coloured (tmux reports the escape codes with -e).
    expect(await screen('apply', true)).toMatch(SGR);
    await tmux('kill-session', '-t', 'apply');
  });

  it('NO_COLOR keeps the terminal free of colours; the bar stays', async () => {
    await h.write('one.yaml', workspaceYaml('plain', { owner: 'bob', template: 'docker' }));
    await inTerminal('plain', ['apply', '-f', 'one.yaml', '--state', 'plain.json'], { NO_COLOR: '1' });
    const end = await until('the end', 'plain', (s) => s.includes('EXIT='));
    expect(end).toContain('✓ create team-a/plain');
    expect(end).toContain('1/1 workspaces');
    expect(await screen('plain', true)).not.toMatch(SGR_SET);
  });
});

describe.runIf(TMUX)('logs in a terminal', () => {
  it('an unreachable Coder gets readable log lines, not raw JSON, at the default level', async () => {
    await h.write('down.yaml', workspaceYaml('down', { owner: 'bob', template: 'docker' }));
    await inTerminal('down', ['plan', '-f', 'down.yaml', '--url', 'http://127.0.0.1:1', '--coder-timeout', '2s']);
    const end = await until('the end', 'down', (s) => s.includes('EXIT='), 120_000);
    expect(end).toContain('EXIT=1');
    expect(end).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: retrying Coder request/m);
    expect(end).toContain('error: No answer from Coder to GET /api/v2/users/me');
    expect(end).not.toContain('{"level"');
  });
});

describe('cwo apply into a pipe', () => {
  it('writes no escape codes and no bar', async () => {
    await h.write('piped.yaml', workspaceYaml('piped', { owner: 'carol', template: 'docker' }));
    const r = await h.cli(['apply', '-f', 'piped.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ create team-a/piped');
    expect(r.stdout + r.stderr).not.toContain('\x1b');
  });

  it('logs are JSON lines when stderr is not a terminal, and pretty when asked', async () => {
    await h.write('down.yaml', workspaceYaml('down', { owner: 'bob', template: 'docker' }));
    const json = await h.cli(['plan', '-f', 'down.yaml', '--url', 'http://127.0.0.1:1', '--coder-timeout', '2s']);
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/^\{"level":40,.*"msg":"retrying Coder request"\}$/m);
    const pretty = await h.cli([
      'plan',
      '-f',
      'down.yaml',
      '--url',
      'http://127.0.0.1:1',
      '--coder-timeout',
      '2s',
      '--log-format',
      'pretty',
    ]);
    expect(pretty.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: retrying Coder request/m);
    expect(pretty.stderr).not.toContain('{"level"');
    expect(pretty.stderr).not.toContain('\x1b');
  });
});
