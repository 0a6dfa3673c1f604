// API key authentication (coderd/httpmw/apikey.go). The first token source
// present wins, in Coder's order; every failure is a 401 whose detail names
// the cause, with a WWW-Authenticate header.
import type { IncomingMessage } from 'node:http';
import type { SimApiKey, SimUser } from './model.ts';
import { errorResponse, type SimResponse } from './responses.ts';
import type { SimState } from './state.ts';

const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';
const COOKIE_NAME = 'coder_session_token';

export interface Authenticated {
  user: SimUser;
  key: SimApiKey;
}

export function extractToken(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const cookie = readCookie(req.headers.cookie, COOKIE_NAME);
  if (cookie) return cookie;
  const queryToken = query.get(COOKIE_NAME);
  if (queryToken) return queryToken;
  const header = req.headers['coder-session-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authz = req.headers.authorization;
  if (typeof authz === 'string') {
    const match = /^bearer\s+(\S+)/i.exec(authz.trim());
    if (match?.[1]) return match[1];
  }
  const accessToken = query.get('access_token');
  if (accessToken) return accessToken;
  return undefined;
}

/** Resolves a token to its user, or the 401 the server would send. */
export function authenticate(state: SimState, token: string | undefined): Authenticated | SimResponse {
  if (token === undefined) return unauthorized(`Cookie "${COOKIE_NAME}" or query parameter must be provided.`);
  const split = splitToken(token);
  if (typeof split === 'string') return unauthorized(`Invalid API key format: ${split}`);
  const key = state.apiKeys.get(split.id);
  if (!key) return unauthorized('API key is invalid.');
  if (key.secret !== split.secret) return unauthorized('API key secret is invalid.');
  const now = state.now();
  if (key.expiresAt <= now) return unauthorized(`API key expired at ${new Date(key.expiresAt).toISOString()}.`);
  const user = state.users.get(key.userId);
  if (!user || user.deleted) return unauthorized('API key is invalid.');
  if (user.status === 'suspended') {
    return withChallenge(
      errorResponse(401, 'User is not active (status = "suspended"). Contact an admin to reactivate your account.'),
      'user is not active',
    );
  }
  key.lastUsed = now;
  return { user, key };
}

function splitToken(token: string): { id: string; secret: string } | string {
  const parts = token.split('-');
  if (parts.length !== 2) return `incorrect amount of API key parts, expected 2 got ${parts.length}`;
  const [id = '', secret = ''] = parts;
  if (id.length !== 10) return `invalid API key id length, expected 10 got ${id.length}`;
  if (secret.length !== 22) return `invalid API key secret length, expected 22 got ${secret.length}`;
  return { id, secret };
}

function unauthorized(detail: string): SimResponse {
  return withChallenge(errorResponse(401, SIGNED_OUT, { detail }), detail);
}

function withChallenge(res: SimResponse, description: string): SimResponse {
  const safe = description.replace(/"/g, "'");
  return {
    ...res,
    headers: { 'WWW-Authenticate': `Bearer realm="coder", error="invalid_token", error_description="${safe}"` },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}
