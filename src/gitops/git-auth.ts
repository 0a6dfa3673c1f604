// Credentials for git, handed over in the environment only. An https token
// becomes an `http.<url>.extraHeader` through GIT_CONFIG_COUNT/KEY/VALUE
// (git >= 2.31): it never appears in argv, in the clone's config on disk or
// in the URL, and it is sent only to URLs under the repository's own URL.
// An ssh key goes into GIT_SSH_COMMAND. Every secret is registered for
// scrubbing the moment it is read.
import { readFile } from 'node:fs/promises';
import { isHttpUrl } from '../api/patterns.ts';
import { registerSecret } from '../observability/logger.ts';

export interface GitCredentialFlags {
  /** Name of an env var holding an https token. */
  tokenEnv?: string;
  /** File holding an https token. */
  gitTokenFile?: string;
  /** Username sent with the token (HTTP Basic); GitHub wants x-access-token, GitLab accepts any. */
  gitUsername?: string;
  sshKeyFile?: string;
  sshKnownHosts?: string;
}

class GitCredentialError extends Error {
  override name = 'GitCredentialError';
}

/** The environment every git call of a source runs with. */
export async function gitEnvironment(repo: string, flags: GitCredentialFlags, base: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  refuseCredentialsInUrl(repo);
  const env: NodeJS.ProcessEnv = {
    ...base,
    GIT_TERMINAL_PROMPT: '0', // fail instead of waiting for a person who is not there
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C', // stable messages to report and match
  };
  // A config of ours must not add to one the caller's environment carries.
  delete env.GIT_CONFIG_COUNT;
  const token = await readGitToken(flags, base);
  if (token) {
    if (!isHttpUrl(repo)) throw new GitCredentialError('--token-env / --git-token-file work with https:// repositories only');
    const basic = Buffer.from(`${flags.gitUsername ?? 'x-access-token'}:${token}`).toString('base64');
    registerSecret(basic);
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${withoutUserInfo(repo)}.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  if (flags.sshKeyFile) {
    const options = ['-i', flags.sshKeyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
    if (flags.sshKnownHosts) options.push('-o', `UserKnownHostsFile=${flags.sshKnownHosts}`, '-o', 'StrictHostKeyChecking=yes');
    // GIT_SSH_COMMAND is run by a shell: quote every word.
    env.GIT_SSH_COMMAND = ['ssh', ...options].map(shellQuote).join(' ');
  }
  return env;
}

/**
 * git puts the URL on its own command line (`git fetch -- <url>`, and its
 * remote helpers), where `ps` shows it to every local user, so a password
 * or token in the URL is refused, before git runs, without quoting it. For
 * http(s) any user info is refused (a token is often given as the user
 * name); an ssh user name (`git@host`) is no secret and is kept.
 */
function refuseCredentialsInUrl(repo: string): void {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return; // a local path or an scp-style address (git@host:path), which has no password
  }
  const http = url.protocol === 'http:' || url.protocol === 'https:';
  if (url.password === '' && !(http && url.username !== '')) return;
  withoutUserInfo(repo); // registers both parts for scrubbing, should anything still quote them
  throw new GitCredentialError(
    '--repo must not contain a user name or password (user:password@host): git would show it in the process list. ' +
      'Put the token in an environment variable and pass --token-env NAME ' +
      '(or --git-token-file FILE, and --git-username if the server wants one)',
  );
}

async function readGitToken(flags: GitCredentialFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let token: string | undefined;
  if (flags.gitTokenFile) {
    try {
      token = (await readFile(flags.gitTokenFile, 'utf8')).trim();
    } catch (e) {
      throw new GitCredentialError(`cannot read --git-token-file ${flags.gitTokenFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else if (flags.tokenEnv) {
    token = env[flags.tokenEnv]?.trim();
    if (!token) throw new GitCredentialError(`--token-env ${flags.tokenEnv}: that environment variable is empty or not set`);
  }
  if (token === '') throw new GitCredentialError(`--git-token-file ${flags.gitTokenFile} is empty`);
  if (token) registerSecret(token);
  return token;
}

/** A URL's `user:password@` is a credential too: register it and keep it off every name we show or hash. */
export function withoutUserInfo(repo: string): string {
  try {
    const u = new URL(repo);
    if (u.password) registerSecret(decodeURIComponent(u.password));
    if (u.username) registerSecret(decodeURIComponent(u.username));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return repo; // a local path or scp-style ssh address
  }
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
