// `cwo plan | head -1`: the reader closes the pipe after one line; cwo must
// end quietly (no EPIPE stack trace) with the plan's own exit code.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CLI, startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ seed: SEED });
});

afterEach(async () => {
  await h.close();
});

it('plan | head -1 prints one line, no stack trace, and exits 2 (changes)', async () => {
  // Far more output than a pipe buffers (64 KiB), so writes meet the closed pipe.
  const docs = Array.from({ length: 1500 }, (_, i) => workspaceYaml(`ws-${i}`, { owner: 'alice', template: 'docker' }));
  await h.write('many.yaml', docs.join('\n---\n'));
  const script = `"${process.execPath}" "${CLI}" plan -f many.yaml --no-state | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
  const { stdout, stderr } = await promisify(execFile)('bash', ['--norc', '--noprofile', '-c', script], {
    cwd: h.dir,
    env: { PATH: process.env.PATH ?? '', CODER_URL: h.sim.url, CODER_SESSION_TOKEN: h.sim.tokenFor('admin') },
    maxBuffer: 1 << 24,
  });
  expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stdout).toMatch(/^\+ create team-a\/ws-0 /);
  expect(stderr).toBe('exit 2\n');
});
