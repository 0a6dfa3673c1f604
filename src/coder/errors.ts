import type { CoderResponse, ValidationError } from './types.ts';

/**
 * A non-2xx answer from Coder. Keeps Coder's own `message`, `detail` and
 * `validations` so callers can show the user what the server said and map a
 * validation back to the spec field it concerns. Never carries a token: the
 * request's headers are not part of it.
 */
export class CoderApiError extends Error {
  override readonly name = 'CoderApiError';
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly response: CoderResponse;
  /** Seconds the server asked us to wait (429 Retry-After), when given. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    method: string;
    path: string;
    response: CoderResponse;
    retryAfterSeconds?: number | undefined;
  }) {
    const { status, method, path, response } = init;
    const detail = response.detail ? ` (${response.detail})` : '';
    super(`Coder answered ${status} to ${method} ${path}: ${response.message}${detail}`);
    this.status = status;
    this.method = method;
    this.path = path;
    this.response = response;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  get validations(): ValidationError[] {
    return this.response.validations ?? [];
  }

  /** Coder's message plus its validations, the way a person reads it. */
  describe(): string {
    const parts = [this.response.message];
    if (this.response.detail) parts.push(this.response.detail);
    for (const v of this.validations) parts.push(`${v.field}: ${v.detail}`);
    return parts.join('; ');
  }
}

/**
 * The request never got an HTTP answer: connection refused or reset, DNS
 * failure, or our own timeout. For a non-idempotent call (create) the outcome
 * is unknown, and the caller must look before it tries again.
 */
export class CoderNetworkError extends Error {
  override readonly name = 'CoderNetworkError';
  readonly method: string;
  readonly path: string;
  readonly timedOut: boolean;

  constructor(init: { method: string; path: string; cause: unknown; timedOut: boolean }) {
    const why = init.timedOut ? 'timed out' : describeCause(init.cause);
    super(`No answer from Coder to ${init.method} ${init.path}: ${why}`, { cause: init.cause });
    this.method = init.method;
    this.path = init.path;
    this.timedOut = init.timedOut;
  }
}

/**
 * Not sent: the connection's server let a request time out a moment ago, and
 * the circuit breaker (circuit-breaker.ts) holds further requests until its
 * cool-down ends. Nothing reached the server, so even a create is safe to try
 * again later.
 */
export class CoderCircuitOpenError extends CoderNetworkError {
  readonly retryInMs: number;

  constructor(init: { method: string; path: string; retryInMs: number }) {
    const seconds = Math.max(1, Math.ceil(init.retryInMs / 1000));
    super({
      method: init.method,
      path: init.path,
      timedOut: false,
      cause: new Error(`not sent: the server let a request time out, so no request goes to it for ${seconds}s more`),
    });
    this.retryInMs = init.retryInMs;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${cause.message}${inner}`;
  }
  return String(cause);
}

/**
 * The answer's body was larger than the client accepts for that call (see
 * transport.ts): a Coder API answer is never that large, so this is a server
 * that is not Coder, or a hostile one. Not transient, so never retried; the
 * body is not quoted.
 */
export class CoderResponseTooLargeError extends Error {
  override readonly name = 'CoderResponseTooLargeError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly limitBytes: number;

  constructor(init: { method: string; path: string; status: number; limitBytes: number; limitText: string; hint: string }) {
    super(
      `the answer to ${init.method} ${init.path} (HTTP ${init.status}) is larger than ${init.limitText}, ` +
        `the most the client reads for it; not retried (${init.hint})`,
    );
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.limitBytes = init.limitBytes;
  }
}

/**
 * A list answer whose own `count` says rows exist that it did not return:
 * the token may count workspaces it may not read. Seen on Coder v2.27.0 with a
 * token scoped `workspace:read` (docs/coder-api.md). An empty page there
 * means "cannot see", never "there are none", so callers must not read it as
 * an empty list (for favorites: as "not a favorite").
 */
export class CoderIncompleteListError extends Error {
  override readonly name = 'CoderIncompleteListError';
  readonly count: number;
  readonly offset: number;

  constructor(init: { path: string; count: number; offset: number; what?: string }) {
    const what = init.what ?? 'workspaces';
    super(
      `Coder counted ${init.count} ${what} for GET ${init.path} but returned none from offset ${init.offset}: ` +
        `the token may count ${what} it is not allowed to read`,
    );
    this.count = init.count;
    this.offset = init.offset;
  }
}

/**
 * A workspace list that would not end, or not in time: the server reports or
 * sends more workspaces than the client lists, more pages than those could
 * fill, or paging took longer than the whole-list deadline. One tenant's
 * hostile or broken server must not grow the process without bound. Names
 * the connection (or the CLI's URL) and the bound to raise.
 */
export class CoderListBoundError extends Error {
  override readonly name = 'CoderListBoundError';
  readonly bound: 'items' | 'pages' | 'deadline';

  constructor(init: { source: string; bound: 'items' | 'pages' | 'deadline'; detail: string; raise: string; what?: string }) {
    super(`listing the ${init.what ?? 'workspaces'} of ${init.source} stopped: ${init.detail}; ${init.raise}`);
    this.bound = init.bound;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CoderApiError && err.status === 404;
}

/**
 * Coder's answer to a create for an owner it cannot resolve: 400 `"user" must
 * be an existing uuid or username.` (v2.27.0), or the generic 404 (recent
 * servers; also when the user is not a member of the template's
 * organization). docs/compatibility.md lists both.
 */
export function isUnknownOwnerAnswer(err: unknown): boolean {
  if (!(err instanceof CoderApiError)) return false;
  // Only the create call itself names the owner: a 404 from the template or
  // organization lookup before it carries the same generic message.
  if (err.method !== 'POST' || !/\/users\/[^/]+\/workspaces$/.test(err.path.split('?')[0]!)) return false;
  if (err.status === 400) return /"user" must be an existing uuid or username/i.test(err.response.message);
  return err.status === 404 && /^Resource not found or you do not have access to this resource/i.test(err.response.message);
}

/** A 404 from looking a template up by name (GET …/organizations/{org}/templates/{name}). */
export function isUnknownTemplateAnswer(err: unknown): boolean {
  return (
    err instanceof CoderApiError &&
    err.status === 404 &&
    err.method === 'GET' &&
    /\/organizations\/[^/]+\/templates\/[^/]+$/.test(err.path.split('?')[0]!)
  );
}

/** Coder refused the token itself (401): the token is wrong, expired or revoked, whatever the call was. */
export function isTokenRefused(err: unknown): err is CoderApiError {
  return err instanceof CoderApiError && err.status === 401;
}

export function isGone(err: unknown): boolean {
  return err instanceof CoderApiError && err.status === 410;
}

/**
 * Getting a token to act as a workspace owner failed, or every scope set we
 * may ask for was too narrow (favorites are owner-only, docs/coder-api.md).
 * Carries the owner and what Coder said; never a token. The engine recognises
 * it by type and reports FavoriteNeedsOwnerToken.
 */
export class OwnerTokenError extends Error {
  override readonly name = 'OwnerTokenError';
  readonly owner: string;
  /** Coder's HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  /** Coder's message, detail and validations, or the network failure. */
  readonly coderMessage: string;
  /** The scope sets asked for, in order (labels as docs/coder-api.md names them). */
  readonly scopesTried: string[];

  constructor(init: { owner: string; cause: unknown; scopesTried?: string[]; tooNarrow?: boolean }) {
    const { owner, cause } = init;
    const status = cause instanceof CoderApiError ? cause.status : undefined;
    const said = cause instanceof CoderApiError ? cause.describe() : cause instanceof Error ? cause.message : String(cause);
    const tried = init.scopesTried ?? [];
    const triedText = tried.length > 0 ? `; scopes tried: ${tried.join(' | ')}` : '';
    const what = init.tooNarrow
      ? `a token minted for Coder user "${owner}" could not read the owner's workspaces`
      : `cannot mint a token for Coder user "${owner}"`;
    super(`${what} (${status === undefined ? '' : `${status}: `}${said}${triedText})`, { cause });
    this.owner = owner;
    this.status = status;
    this.coderMessage = said;
    this.scopesTried = tried;
  }
}
