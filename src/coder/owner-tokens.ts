// Clients that act as a workspace's owner, for the one thing only the owner
// may do: read and set `favorite` (BEHAVIOUR.md §12; even a site Owner gets
// 403). With a site Owner connection we mint a short-lived, narrowly scoped
// API token for the owner, keep it in memory only (never on disk), reuse it
// until shortly before it expires, and delete every one we minted on release.
import { randomBytes } from 'node:crypto';
import { forgetSecret, registerSecret } from '../observability/logger.ts';
import type { CoderApi } from './api.ts';
import { isNotFound, OwnerTokenError } from './errors.ts';

export interface OwnerTokenBrokerOptions {
  /** The connection's client; needs permission to mint tokens for others (site Owner). */
  admin: CoderApi;
  /** Asked-for token lifetime, clamped to the server's max_token_lifetime. Default 10 minutes. */
  lifetimeMs?: number;
  /** Milliseconds clock; injectable for tests. */
  clock?: () => number;
  /** Token names are `<prefix>-<8 hex>`, so they are easy to find in Coder's token list. */
  tokenNamePrefix?: string;
  /** The connection's own user: for that owner the admin client already is the owner. */
  selfUser?: { id: string; username: string };
  logger?: { warn(obj: object, msg?: string): void };
}

/** The narrowest scopes that read a workspace and set its favorite, dormant or not. */
export const OWNER_TOKEN_SCOPES: readonly string[] = [
  'workspace:read',
  'workspace:update',
  'workspace_dormant:read',
  'workspace_dormant:update',
];

export const OWNER_TOKEN_DEFAULTS = {
  lifetimeMs: 10 * 60_000,
  tokenNamePrefix: 'cwo-favorite',
  /** A cached token is replaced this long before it expires (at most half its lifetime). */
  refreshBeforeExpiryMs: 60_000,
} as const;

const NS_PER_MS = 1_000_000;
/** Coder token names follow its name rules: at most 32 characters (codersdk/name.go). */
const MAX_TOKEN_NAME = 32;
const SUFFIX_LENGTH = 8;

interface Minted {
  owner: string;
  /** The part of the token before the first '-': what DELETE .../keys/{keyid} takes. */
  keyId: string;
  key: string;
  api: CoderApi;
  refreshAt: number;
}

interface Entry {
  promise: Promise<Minted>;
  minted?: Minted;
}

export class OwnerTokenBroker {
  readonly #admin: CoderApi;
  readonly #lifetimeMs: number;
  readonly #clock: () => number;
  readonly #prefix: string;
  readonly #self: { id: string; username: string } | undefined;
  readonly #logger: OwnerTokenBrokerOptions['logger'];
  /** Per owner (lowercased: usernames match case-insensitively), the current or in-flight token. */
  readonly #entries = new Map<string, Entry>();
  /** Every minted token not yet deleted, by key id. */
  readonly #live = new Map<string, Minted>();
  /** Deletions of replaced tokens still under way; release() waits for them. */
  readonly #retiring = new Set<Promise<void>>();

  constructor(opts: OwnerTokenBrokerOptions) {
    this.#admin = opts.admin;
    this.#lifetimeMs = opts.lifetimeMs ?? OWNER_TOKEN_DEFAULTS.lifetimeMs;
    if (!Number.isInteger(this.#lifetimeMs) || this.#lifetimeMs < 1000) {
      throw new RangeError(`lifetimeMs must be a whole number of at least 1000, got ${this.#lifetimeMs}`);
    }
    this.#clock = opts.clock ?? Date.now;
    this.#prefix = opts.tokenNamePrefix ?? OWNER_TOKEN_DEFAULTS.tokenNamePrefix;
    if (!/^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/.test(this.#prefix) || this.#prefix.length > MAX_TOKEN_NAME - SUFFIX_LENGTH - 1) {
      throw new RangeError(`tokenNamePrefix must be letters, digits and single hyphens, at most ${MAX_TOKEN_NAME - SUFFIX_LENGTH - 1} characters`);
    }
    this.#self = opts.selfUser;
    this.#logger = opts.logger;
  }

  /** A client acting as `owner` (username or user id). Throws OwnerTokenError when Coder refuses. */
  async forOwner(owner: string): Promise<CoderApi> {
    if (this.#isSelf(owner)) return this.#admin;
    const key = owner.toLowerCase();
    const entry = this.#entries.get(key);
    // An entry without `minted` is a mint in flight: every caller shares it.
    if (entry && (!entry.minted || this.#clock() < entry.minted.refreshAt)) return (await entry.promise).api;

    const next: Entry = { promise: this.#mint(owner) };
    this.#entries.set(key, next);
    const replaced = entry?.minted;
    next.promise.then(
      (minted) => {
        next.minted = minted;
        if (replaced) this.#retire(replaced);
      },
      () => {
        // Forget a failed mint so the next call asks again.
        if (this.#entries.get(key) === next) this.#entries.delete(key);
      },
    );
    return (await next.promise).api;
  }

  /** Deletes every token minted so far and forgets them; failures are logged, not thrown. */
  async release(): Promise<void> {
    // A mint in flight would otherwise leave a live token behind.
    await Promise.all([...this.#entries.values()].map((entry) => entry.promise.catch(() => undefined)));
    this.#entries.clear();
    await Promise.all([...this.#retiring]);
    await Promise.all([...this.#live.values()].map((minted) => this.#delete(minted)));
  }

  /** Tokens currently held (not yet deleted); for tests and metrics. */
  get liveTokens(): number {
    return this.#live.size;
  }

  async #mint(owner: string): Promise<Minted> {
    const started = this.#clock();
    let key: unknown;
    let lifetimeMs: number;
    try {
      const config = await this.#admin.tokenConfig(owner);
      lifetimeMs = clampLifetimeMs(this.#lifetimeMs, config.max_token_lifetime);
      const answer = await this.#admin.createToken(owner, {
        token_name: `${this.#prefix}-${randomBytes(SUFFIX_LENGTH / 2).toString('hex')}`,
        lifetime: lifetimeMs * NS_PER_MS,
        scopes: [...OWNER_TOKEN_SCOPES],
      });
      key = answer?.key;
    } catch (error) {
      throw new OwnerTokenError({ owner, cause: error });
    }
    const dash = typeof key === 'string' ? key.indexOf('-') : -1;
    if (typeof key !== 'string' || dash < 1) {
      throw new OwnerTokenError({ owner, cause: new Error('Coder answered without a token in the expected <id>-<secret> form') });
    }
    registerSecret(key);
    const minted: Minted = {
      owner,
      keyId: key.slice(0, dash),
      key,
      api: this.#admin.withToken(key),
      // Counted from before the request, so we never believe a token lives longer than it does.
      refreshAt: started + lifetimeMs - Math.min(OWNER_TOKEN_DEFAULTS.refreshBeforeExpiryMs, lifetimeMs / 2),
    };
    this.#live.set(minted.keyId, minted);
    return minted;
  }

  // A replaced token would expire by itself within the refresh margin;
  // deleting it now keeps the owner's token list short in a long-running operator.
  #retire(minted: Minted): void {
    const deletion = this.#delete(minted).finally(() => this.#retiring.delete(deletion));
    this.#retiring.add(deletion);
  }

  async #delete(minted: Minted): Promise<void> {
    try {
      await this.#admin.deleteToken(minted.owner, minted.keyId);
    } catch (error) {
      // 404: it expired or someone deleted it already, which is what we wanted.
      if (!isNotFound(error)) {
        this.#logger?.warn(
          { owner: minted.owner, error: error instanceof Error ? error.message : String(error) },
          'could not delete a minted owner token; it expires by itself',
        );
      }
    } finally {
      this.#live.delete(minted.keyId);
      forgetSecret(minted.key);
    }
  }

  #isSelf(owner: string): boolean {
    const self = this.#self;
    if (!self) return false;
    const wanted = owner.toLowerCase();
    return wanted === 'me' || wanted === self.id.toLowerCase() || wanted === self.username.toLowerCase();
  }
}

/** The lifetime to ask for: ours, or the server's maximum (given in nanoseconds) when that is shorter. */
function clampLifetimeMs(wantedMs: number, maxNs: number | undefined): number {
  if (typeof maxNs !== 'number' || !(maxNs > 0)) return wantedMs;
  return Math.max(1, Math.min(wantedMs, Math.floor(maxNs / NS_PER_MS)));
}
