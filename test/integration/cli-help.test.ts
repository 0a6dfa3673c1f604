// Help a person can use: -f first and the flags in groups, examples, only
// the flags a command reads, truthful defaults; a typo gets one line and a
// did-you-mean; completion scripts come from the same command tree; and
// `validate` checks files with no Coder at all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startHarness, workspaceYaml, type Harness } from './harness.ts';
import { SEED } from './seed.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: SEED });
});

afterAll(async () => {
  await h.close();
});

/** No Coder URL or token in the environment. */
const offline = (args: string[], stdin?: string) => runCli(args, { cwd: h.dir, env: {}, stdin });

describe('help', () => {
  it('plan: -f first, groups in order, examples, and no flag plan ignores', async () => {
    const r = await offline(['plan', '--help']);
    expect(r.code).toBe(0);
    const headings = r.stdout.split('\n').filter((l) => /^[A-Z][^:]*:$/.test(l));
    expect(headings).toEqual([
      'Input:',
      'Output and logs:',
      'Coder connection:',
      'State and prune:',
      'Rollout (template version and parameter updates):',
      'Git source:',
      'Options:',
      'Examples:',
    ]);
    const firstFlag = r.stdout.split('\n').find((l) => /^\s+-/.test(l));
    expect(firstFlag).toMatch(/^\s+-f, --filename <path\.\.\.>/);
    expect(r.stdout.match(/^\s+\$ cwo|^\s+\$ CODER_URL/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).not.toContain('--concurrency');
    expect(r.stdout).not.toContain('--delete-timeout');
  });

  it('status lists neither --delete-timeout nor --deletion-policy; defaults are said truthfully', async () => {
    const status = await offline(['status', '--help']);
    expect(status.stdout).not.toContain('--delete-timeout');
    expect(status.stdout).not.toContain('--deletion-policy');
    const apply = await offline(['apply', '--help']);
    expect(apply.stdout).toMatch(/--token-file <file>\s+file holding the Coder session token;\s+without\s+it,\s+\$CODER_SESSION_TOKEN/);
    expect(apply.stdout).not.toMatch(/\(default: \$CODER_SESSION_TOKEN\)/);
    const run = await offline(['run', '--help']);
    expect(run.stdout).toMatch(/--namespaces <a,b>\s+watch only these namespaces \(default: all\)\n/);
    expect(run.stdout).not.toContain('(default: [])');
  });

  it('an unknown flag: one error line and a did-you-mean, not the whole help', async () => {
    const r = await offline(['apply', '-f', 'x.yaml', '--prnue']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: unknown option '--prnue'\n(Did you mean --prune?)\n");
    expect(r.stdout).toBe('');
  });
});

describe('completion', () => {
  it('bash: the script completes commands, flags and choices from the command tree', async () => {
    const script = (await offline(['completion', 'bash'])).stdout;
    await h.write('cwo.bash', script);
    const complete = async (...words: string[]) => {
      const probe = `source cwo.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cwo; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await promisify(execFile)('bash', ['--norc', '--noprofile', '-c', probe], { cwd: h.dir })).stdout.split('\n').filter(Boolean);
    };
    expect(await complete('cwo', 'pl')).toEqual(['plan']);
    expect(await complete('cwo', 'apply', '--pr')).toEqual(['--prune']);
    expect(await complete('cwo', 'plan', '-o', '')).toEqual(['text', 'json', 'markdown']);
    expect(await complete('cwo', 'status', '--del')).toEqual([]);
    expect(await complete('cwo', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('zsh and fish scripts name every command and the flags of each', async () => {
    const zsh = (await offline(['completion', 'zsh'])).stdout;
    expect(zsh.startsWith('#compdef cwo coder-workspace-operator\n')).toBe(true);
    expect(zsh).toContain("'validate:check Workspace YAML offline");
    expect(zsh).toMatch(/\{-o,--output\}'\[output format\]:value:\(text json markdown\)'/);
    const fish = (await offline(['completion', 'fish'])).stdout;
    expect(fish).toContain("complete -c cwo -n '__fish_seen_subcommand_from apply' -l prune");
    expect(fish).toContain("complete -c cwo -n '__fish_seen_subcommand_from plan' -l output -s o -r -a 'text json markdown'");
    const unknown = await offline(['completion', 'powershell']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      "error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n",
    );
  });
});

describe('validate', () => {
  it('checks schema, rules and duplicates offline: exit 0 when valid, 1 with each error', async () => {
    await h.write('good.yaml', workspaceYaml('good', { owner: 'alice', template: 'docker', ttl: '8h' }));
    const ok = await offline(['validate', '-f', 'good.yaml']);
    expect(ok.stdout).toBe('✓ 1 workspace(s) in 1 file(s) valid.\n');
    expect(ok.code).toBe(0);
    await h.write(
      'bad.yaml',
      [
        'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata: {name: slip, namespace: team-a}\nspec:\n  owner: bob\n  template: docker\n  ttl: 8\n',
        workspaceYaml('both', { owner: 'bob', template: 'docker', running: true, ttl: '8h' }),
        workspaceYaml('good', { owner: 'carol', template: 'docker' }),
      ].join('\n---\n'),
    );
    const bad = await offline(['validate', '-f', 'bad.yaml', 'good.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error: bad.yaml: document 1 (line 7:3): spec.ttl: must be a string; did you mean "8h"?');
    expect(bad.stdout).toContain('  > 7 |   ttl: 8');
    expect(bad.stdout).toMatch(/error: bad\.yaml: document 2 \(line \d+:\d+\): spec\.running: running: true conflicts with a non-zero ttl/);
    expect(bad.stdout).toContain('team-a/good is declared twice');
    expect(bad.stdout).toContain('fix them before plan or apply.');
    expect(h.sim.calls).toEqual([]);
  });

  it('a YAML indentation slip is reported at the line that is indented too far', async () => {
    await h.write(
      'indent.yaml',
      'apiVersion: coderops.dev/v1alpha1\nkind: Workspace\nmetadata:\n  name: x\nspec:\n  owner: alice\n   template: docker\n',
    );
    const r = await offline(['validate', '-f', 'indent.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'error: indent.yaml: document 1 (line 7:4): line 7 is indented more than the line above: check its indentation',
    );
    expect(r.stdout).toContain('  > 7 |    template: docker');
    expect(r.stdout.match(/^error:/gm)).toHaveLength(1);
  });

  it('warns that a CoderConnection rollout is not read by the CLI, naming the flags that do the same', async () => {
    await h.write(
      'conn.yaml',
      [
        'apiVersion: coderops.dev/v1alpha1\nkind: CoderConnection\nmetadata: {name: coder, namespace: team-a}\n' +
          'spec:\n  url: https://coder.example.com\n  tokenSecretRef: {name: coder-token, key: token}\n' +
          '  rollout: {maxUnavailable: 5, window: {schedule: "0 22 * * 1-5", duration: 4h}, onlyWhenStopped: true}\n',
        workspaceYaml('w', { owner: 'alice', template: 'docker' }),
      ].join('\n---\n'),
    );
    const r = await offline(['validate', '-f', 'conn.yaml']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: conn.yaml: document 1: CoderConnection coder: spec.rollout is not read by the CLI (only the operator reads it); ' +
        'for the same rollout pass --max-unavailable 5 --window-schedule "0 22 * * 1-5" --window-duration 4h --only-when-stopped\n',
    );
  });
});
