// Real git repositories in a temp dir for the git source and sync tests: a
// bare "remote" that sync follows, and a working clone that commits and
// pushes to it (force-pushes and branch deletions included).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Deterministic git, untouched by the user's global or system config. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  LC_ALL: 'C',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface GitFixture {
  /** The bare repository sync follows (a local path works like a URL). */
  remote: string;
  work: string;
  /** Writes (string) or deletes (null) files in the working clone, commits, pushes the current branch; returns the commit id. */
  commit(files: Record<string, string | null>, message?: string, opts?: { push?: boolean }): string;
  push(opts?: { force?: boolean; branch?: string }): void;
  head(): string;
}

export function createGitFixture(root: string): GitFixture {
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  mkdirSync(remote, { recursive: true });
  mkdirSync(work, { recursive: true });
  git(remote, 'init', '--quiet', '--bare', '--initial-branch=main');
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', remote);
  let n = 0;
  const fixture: GitFixture = {
    remote,
    work,
    commit(files, message, opts = {}) {
      for (const [path, text] of Object.entries(files)) {
        const full = join(work, path);
        if (text === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, text);
        }
      }
      git(work, 'add', '--all');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', message ?? `commit ${++n}`);
      if (opts.push ?? true) fixture.push();
      return fixture.head();
    },
    push(opts = {}) {
      const branch = opts.branch ?? git(work, 'rev-parse', '--abbrev-ref', 'HEAD');
      git(work, 'push', '--quiet', ...(opts.force ? ['--force'] : []), 'origin', `HEAD:refs/heads/${branch}`);
    },
    head: () => git(work, 'rev-parse', 'HEAD'),
  };
  return fixture;
}

/** A Workspace document as YAML, with a known line layout: spec.ttl is on line 8. */
export function wsYaml(
  name: string,
  spec: { owner: string; template?: string; ttl?: string; name?: string; deletionPolicy?: string },
): string {
  return [
    'apiVersion: coderops.dev/v1alpha1',
    'kind: Workspace',
    'metadata:',
    `  name: ${name}`,
    '  namespace: team-a',
    'spec:',
    `  owner: ${spec.owner}`,
    `  ttl: ${spec.ttl ?? '8h'}`,
    `  template: ${spec.template ?? 'docker'}`,
    ...(spec.name ? [`  name: ${spec.name}`] : []),
    ...(spec.deletionPolicy ? [`  deletionPolicy: ${spec.deletionPolicy}`] : []),
    '',
  ].join('\n');
}
