// The flags that name a git source (`sync`, `plan --repo`) and how they
// become a GitSource plus the declarations at one commit.
import { type Command, Option } from 'commander';
import { gitEnvironment, type GitCredentialFlags } from '../gitops/git-auth.ts';
import { defaultCacheRoot, GitSource, treeSources } from '../gitops/git-source.ts';
import { loadFromSources, type LoadResult } from '../gitops/load.ts';

export interface GitFlags extends GitCredentialFlags {
  repo?: string;
  ref: string;
  path: string;
  cacheDir?: string;
  gitTimeout: number;
}

export function withGitOptions(cmd: Command, durationMs: (v: string) => number, repoRequired: boolean): Command {
  const repo = '--repo <url|path>';
  const repoHelp = 'git repository: https://, ssh:// or git@host:path URL, or a local path';
  return (repoRequired ? cmd.requiredOption(repo, repoHelp) : cmd.option(repo, `${repoHelp} (instead of -f)`))
    .option('--ref <ref>', 'branch, tag, refs/... name or commit id', 'main')
    .option('--path <dir>', 'directory (or file) inside the repository holding the Workspace YAML', '.')
    .option('--cache-dir <dir>', 'where clones are kept, one per repository (default: $XDG_CACHE_HOME/coder-workspace-operator/git)')
    .option('--token-env <name>', 'environment variable holding an https token for the repository')
    .option('--git-token-file <file>', 'file holding an https token for the repository')
    .option('--git-username <name>', 'username sent with the https token', 'x-access-token')
    .option('--ssh-key-file <file>', 'private key for ssh repositories')
    .option('--ssh-known-hosts <file>', 'known_hosts file for ssh repositories (strict host key checking)')
    .addOption(new Option('--git-timeout <duration>', 'longest a git command may take').argParser(durationMs).default(120_000, '2m'));
}

/**
 * A local path for `plan` is read where it is (a CI checkout, no clone, no
 * cache); a URL, and everything `sync` follows, goes through the clone cache.
 */
export async function openGitSource(flags: GitFlags & { repo: string }, inPlaceIfLocal: boolean): Promise<GitSource> {
  const env = await gitEnvironment(flags.repo, flags, process.env);
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(flags.repo) && !/^[\w.-]+@[\w.-]+:/.test(flags.repo);
  return new GitSource({
    repo: flags.repo,
    env,
    cacheRoot: flags.cacheDir ?? defaultCacheRoot(process.env),
    timeoutMs: flags.gitTimeout,
    inPlace: inPlaceIfLocal && local,
  });
}

/** The declarations at `--ref` (for plan): fetch, resolve, read and validate the whole tree. */
export async function loadFromRepo(
  flags: GitFlags & { repo: string },
): Promise<{ loaded: LoadResult; commit: string; repository: string }> {
  const source = await openGitSource(flags, true);
  await source.fetch(flags.ref.startsWith('refs/') ? [flags.ref] : []);
  const commit = await source.resolve(flags.ref);
  return { loaded: loadFromSources(treeSources(await source.readTree(commit, flags.path))), commit, repository: source.display };
}
