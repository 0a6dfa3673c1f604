// Where the CLI gets its Coder URL and token: the coder CLI's own names
// (CODER_URL, CODER_SESSION_TOKEN) or flags. A token never comes from a
// spec and is registered for scrubbing the moment it is read.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isHttpUrl } from '../api/patterns.ts';
import { CoderClient, type CoderRequestEvent } from '../coder/client.ts';
import { isTokenRefused } from '../coder/errors.ts';
import { acceptToken } from '../coder/session-token.ts';
import { OwnerTokenBroker } from '../coder/owner-tokens.ts';
import type { User } from '../coder/types.ts';
import { UsageError } from '../gitops/usage-error.ts';
import { URL_USERINFO_PATTERN } from '../api/schema.ts';
import { registerSecret } from '../observability/logger.ts';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
  requestsPerMinute?: number;
  bypassRateLimit?: boolean;
  coderTimeout?: number;
  /** Bounds on the workspace list (src/coder/client.ts). */
  maxListItems?: number;
  listDeadline?: number;
}

export interface Connection {
  url: string;
  client: CoderClient;
  owners: OwnerTokenBroker;
  me: User;
}

async function readToken(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Promise<string> {
  let raw: string | undefined;
  if (flags.tokenFile) {
    try {
      raw = await readFile(flags.tokenFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${flags.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  } else {
    raw = env.CODER_SESSION_TOKEN;
  }
  const token = acceptToken(raw);
  if (!token) throw new UsageError('no Coder token: set CODER_SESSION_TOKEN or pass --token-file');
  return token;
}

const USERINFO = new RegExp(URL_USERINFO_PATTERN);

export function readUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv): string {
  const url = flags.url ?? env.CODER_URL;
  const from = flags.url !== undefined ? '--url' : 'CODER_URL';
  if (!url) throw new UsageError('no Coder URL: pass --url or set CODER_URL');
  // Checked first and never quoted: the URL would carry the password into
  // every error, the state file, the status file and -o json.
  if (USERINFO.test(url) || /^[^/]*@/.test(url)) {
    const userInfo = userInfoOf(url);
    registerSecret(userInfo);
    registerSecret(userInfo.slice(userInfo.indexOf(':') + 1));
    throw new UsageError(
      `${from} must not contain a user name or password (user:password@host); ` +
        'give the session token with CODER_SESSION_TOKEN or --token-file',
    );
  }
  if (!isHttpUrl(url)) throw new UsageError(`${from} must start with http:// or https://, got "${url}"`);
  return url.replace(/\/+$/, '');
}

/** What lies between `//` (or the start) and the last `@` before the path: scrubbed, should anything quote it. */
function userInfoOf(url: string): string {
  const authority = url.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '').split(/[/?#]/, 1)[0] ?? '';
  return authority.slice(0, authority.lastIndexOf('@'));
}

/** Connects and checks the token with one read (GET /users/me). `onResponse` feeds metrics. */
export async function connect(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  onResponse?: (event: CoderRequestEvent) => void,
): Promise<Connection> {
  const url = readUrl(flags, env);
  const token = await readToken(flags, env);
  const client = new CoderClient({
    url,
    token,
    logger,
    requestsPerMinute: flags.requestsPerMinute,
    bypassRateLimit: flags.bypassRateLimit,
    timeoutMs: flags.coderTimeout,
    listMaxItems: flags.maxListItems,
    listDeadlineMs: flags.listDeadline,
    onResponse,
  });
  let me: User;
  try {
    me = await client.getUser('me');
  } catch (error) {
    if (isTokenRefused(error))
      throw new UsageError(`Coder at ${url} refused the token (401: ${error.describe()}); check CODER_SESSION_TOKEN or --token-file`);
    throw error;
  }
  // The logger hears when a lost token create could not be cleaned up, or the scopes had to widen.
  const owners = new OwnerTokenBroker({ admin: client, selfUser: { id: me.id, username: me.username }, logger });
  return { url, client, owners, me };
}
