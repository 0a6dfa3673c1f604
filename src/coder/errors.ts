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

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${cause.message}${inner}`;
  }
  return String(cause);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CoderApiError && err.status === 404;
}

export function isGone(err: unknown): boolean {
  return err instanceof CoderApiError && err.status === 410;
}

/**
 * Getting a token to act as a workspace owner failed (favorites are
 * owner-only, BEHAVIOUR.md §12). Carries the owner and what Coder said; never
 * a token: it is raised before one exists. The engine recognises it by name
 * and reports FavoriteNeedsOwnerToken.
 */
export class OwnerTokenError extends Error {
  override readonly name = 'OwnerTokenError';
  readonly owner: string;
  /** Coder's HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  /** Coder's message, detail and validations, or the network failure. */
  readonly coderMessage: string;

  constructor(init: { owner: string; cause: unknown }) {
    const { owner, cause } = init;
    const status = cause instanceof CoderApiError ? cause.status : undefined;
    const said =
      cause instanceof CoderApiError ? cause.describe() : cause instanceof Error ? cause.message : String(cause);
    super(`cannot mint a token for Coder user "${owner}" (${status === undefined ? '' : `${status}: `}${said})`, { cause });
    this.owner = owner;
    this.status = status;
    this.coderMessage = said;
  }
}
