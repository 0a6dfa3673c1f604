// Clients that act as a workspace's owner, for the one thing only the owner
// may do: read and set `favorite` (docs/coder-api.md; even a site Owner gets
// 403). With a site Owner connection we mint a short-lived token for the
// owner, scoped as narrowly as the server allows (owner-token-scopes.ts),
// keep it in memory only (never on disk), reuse it until shortly before it
// expires, and delete every one we minted on release, including one whose
// create answer was lost.
import { randomBytes } from 'node:crypto';
import { forgetSecret, registerSecret } from '../observability/logger.ts';
import type { CoderApi } from './api.ts';
import { CoderApiError, CoderIncompleteListError, CoderNetworkError, isNotFound, OwnerTokenError } from './errors.ts';
import { ownerApi } from './owner-api.ts';
import {
  isScopeRefusal,
  isTooNarrow,
  OWNER_TOKEN_SCOPE_SETS,
  PROCESS_SCOPE_MEMORY,
  type ScopeMemory,
  type ScopeSet,
} from './owner-token-scopes.ts';

export { OWNER_TOKEN_SCOPE_SETS } from './owner-token-scopes.ts';

interface OwnerTokenBrokerOptions {
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
  logger?: { warn(obj: object, msg?: string): void; info?(obj: object, msg?: string): void };
  /** The ladder to walk, narrowest first. Default OWNER_TOKEN_SCOPE_SETS. */
  scopeSets?: readonly ScopeSet[];
  /** Where the rung that worked is remembered per server and version. Default: one per process. */
  memory?: ScopeMemory;
}

const OWNER_TOKEN_DEFAULTS = {
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
  /** Index into the ladder it was minted with. */
  level: number;
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
  readonly #sets: readonly ScopeSet[];
  readonly #memory: ScopeMemory;
  /** Per owner (lowercased: usernames match case-insensitively), the current or in-flight token. */
  readonly #entries = new Map<string, Entry>();
  /** One wrapper per owner, so callers may compare clients. */
  readonly #clients = new Map<string, CoderApi>();
  /** Every minted token not yet deleted, by key id. */
  readonly #live = new Map<string, Minted>();
  /** Names of tokens whose create answer was lost and could not be found yet, by owner. */
  readonly #lost = new Map<string, { owner: string; name: string }>();
  /** Deletions of replaced tokens still under way; release() waits for them. */
  readonly #retiring = new Set<Promise<void>>();
  /** The rung of the ladder in use; only ever climbs. */
  #level = 0;
  /** `deployment_id@version`, once known: the key of the memory. */
  #server: Promise<string | undefined> | undefined;
  #serverKey: string | undefined;
  /** What Coder recorded for the first token minted, when it differs from what we asked. */
  #granted: string | undefined;
  #grantedChecked = false;

  constructor(opts: OwnerTokenBrokerOptions) {
    this.#admin = opts.admin;
    this.#lifetimeMs = opts.lifetimeMs ?? OWNER_TOKEN_DEFAULTS.lifetimeMs;
    if (!Number.isInteger(this.#lifetimeMs) || this.#lifetimeMs < 1000) {
      throw new RangeError(`lifetimeMs must be a whole number of at least 1000, got ${this.#lifetimeMs}`);
    }
    this.#clock = opts.clock ?? Date.now;
    this.#prefix = opts.tokenNamePrefix ?? OWNER_TOKEN_DEFAULTS.tokenNamePrefix;
    if (!/^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/.test(this.#prefix) || this.#prefix.length > MAX_TOKEN_NAME - SUFFIX_LENGTH - 1) {
      throw new RangeError(
        `tokenNamePrefix must be letters, digits and single hyphens, at most ${MAX_TOKEN_NAME - SUFFIX_LENGTH - 1} characters`,
      );
    }
    this.#self = opts.selfUser;
    this.#logger = opts.logger;
    this.#sets = opts.scopeSets ?? OWNER_TOKEN_SCOPE_SETS;
    if (this.#sets.length === 0) throw new RangeError('scopeSets must not be empty');
    this.#memory = opts.memory ?? PROCESS_SCOPE_MEMORY;
  }

  /**
   * A client acting as `owner` (username or user id). Its calls climb the
   * scope ladder when an answer shows the token too narrow, and retry once per
   * rung. Throws OwnerTokenError when Coder refuses every token.
   */
  async forOwner(owner: string): Promise<CoderApi> {
    if (this.#isSelf(owner)) return this.#admin;
    const key = owner.toLowerCase();
    await this.#token(owner); // fail here, not on first use, when no token can be had
    let client = this.#clients.get(key);
    if (!client) {
      client = ownerApi((call, fn) => this.#run(owner, call, fn));
      this.#clients.set(key, client);
    }
    return client;
  }

  /**
   * The scopes the owner tokens carry, for status and logs: the ladder's
   * label, plus what Coder recorded when that differs. Undefined before the
   * first mint.
   */
  get scopesInUse(): string | undefined {
    if (![...this.#entries.values()].some((e) => e.minted) && this.#live.size === 0) return undefined;
    const label = this.#sets[this.#level]!.label;
    return this.#granted ? `${label} (Coder granted ${this.#granted})` : label;
  }

  /** Deletes every token minted so far and forgets them; failures are logged, not thrown. */
  async release(): Promise<void> {
    // A mint in flight would otherwise leave a live token behind.
    await Promise.all([...this.#entries.values()].map((entry) => entry.promise.catch(() => undefined)));
    this.#entries.clear();
    this.#clients.clear();
    await Promise.all([...this.#retiring]);
    await Promise.all([...this.#live.values()].map((minted) => this.#delete(minted)));
    await Promise.all([...this.#lost.values()].map((lost) => this.#sweepLost(lost.owner, lost.name)));
  }

  /** Tokens currently held (not yet deleted); for tests and metrics. */
  get liveTokens(): number {
    return this.#live.size;
  }

  async #run<T>(owner: string, call: 'read' | 'favorite', fn: (api: CoderApi) => Promise<T>): Promise<T> {
    for (;;) {
      const minted = await this.#token(owner);
      try {
        return await fn(minted.api);
      } catch (error) {
        if (!isTooNarrow(error, call)) throw error;
        if (!this.#sets[minted.level]!.full && this.#climb(minted.level, error)) continue;
        // The widest set still cannot: a list that hides rows is a scope
        // problem to report; a 403 or 404 is Coder's real answer.
        if (error instanceof CoderIncompleteListError) {
          throw new OwnerTokenError({ owner, cause: error, scopesTried: this.#tried(), tooNarrow: true });
        }
        throw error;
      }
    }
  }

  /** The owner's current token: cached, in flight, or minted now at the current rung. */
  async #token(owner: string): Promise<Minted> {
    const key = owner.toLowerCase();
    const entry = this.#entries.get(key);
    // An entry without `minted` is a mint in flight: every caller shares it.
    if (entry && !entry.minted) return entry.promise;
    if (entry?.minted && this.#clock() < entry.minted.refreshAt && entry.minted.level >= this.#level) return entry.minted;

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
    return next.promise;
  }

  async #mint(owner: string): Promise<Minted> {
    await this.#startLevel();
    let lifetimeMs: number;
    try {
      const config = await this.#admin.tokenConfig(owner);
      lifetimeMs = clampLifetimeMs(this.#lifetimeMs, config.max_token_lifetime);
    } catch (error) {
      throw new OwnerTokenError({ owner, cause: error });
    }
    for (;;) {
      const level = this.#level;
      try {
        return await this.#mintOnce(owner, level, lifetimeMs);
      } catch (error) {
        if (isScopeRefusal(error) && this.#climb(level, error)) continue;
        throw new OwnerTokenError({ owner, cause: error, scopesTried: this.#tried() });
      }
    }
  }

  async #mintOnce(owner: string, level: number, lifetimeMs: number): Promise<Minted> {
    const started = this.#clock();
    const name = `${this.#prefix}-${randomBytes(SUFFIX_LENGTH / 2).toString('hex')}`;
    let key: unknown;
    try {
      const answer = await this.#admin.createToken(owner, {
        token_name: name,
        lifetime: lifetimeMs * NS_PER_MS,
        ...this.#sets[level]!.request,
      });
      key = answer?.key;
    } catch (error) {
      // No answer, or a 5xx: the token may exist all the same. Find it by the
      // name we chose and delete it, so no live token outlasts this run.
      if (error instanceof CoderNetworkError || (error instanceof CoderApiError && error.status >= 500)) {
        this.#lost.set(`${owner.toLowerCase()}/${name}`, { owner, name });
        await this.#sweepLost(owner, name);
      }
      throw error;
    }
    const dash = typeof key === 'string' ? key.indexOf('-') : -1;
    if (typeof key !== 'string' || dash < 1) {
      throw new Error('Coder answered without a token in the expected <id>-<secret> form');
    }
    registerSecret(key);
    const minted: Minted = {
      owner,
      keyId: key.slice(0, dash),
      key,
      api: this.#admin.withToken(key),
      // Counted from before the request, so we never believe a token lives longer than it does.
      refreshAt: started + lifetimeMs - Math.min(OWNER_TOKEN_DEFAULTS.refreshBeforeExpiryMs, lifetimeMs / 2),
      level,
    };
    this.#live.set(minted.keyId, minted);
    await this.#checkGranted(minted);
    return minted;
  }

  /**
   * Once per broker: what Coder recorded for a token we minted. A server that
   * predates `scopes` ignores the field and grants everything; status should
   * say so rather than repeat what we asked for.
   */
  async #checkGranted(minted: Minted): Promise<void> {
    if (this.#grantedChecked) return;
    this.#grantedChecked = true;
    try {
      const record = await this.#admin.getToken(minted.owner, minted.keyId);
      const granted = record.scopes && record.scopes.length > 0 ? record.scopes : record.scope ? [record.scope] : [];
      const asked = this.#sets[minted.level]!.request;
      const askedList = asked.scopes ?? (asked.scope ? [asked.scope] : []);
      if (granted.length > 0 && granted.join(',') !== askedList.join(',')) this.#granted = granted.join(',');
    } catch {
      // Only for the report; the token works or fails on its own.
    }
  }

  /** Climbs one rung if `from` is still the current one; true when a wider set is now in use. */
  #climb(from: number, why: unknown): boolean {
    if (this.#level === from && from + 1 < this.#sets.length) {
      this.#level = from + 1;
      this.#logger?.info?.(
        {
          refused: this.#sets[from]!.label,
          next: this.#sets[this.#level]!.label,
          why: why instanceof Error ? why.message : String(why),
        },
        'owner token scopes too narrow for this Coder; trying the next set',
      );
      if (this.#serverKey !== undefined) this.#memory.set(this.#serverKey, this.#level);
    }
    return this.#level > from;
  }

  /** Starts at the rung remembered for this server and version, if any. */
  async #startLevel(): Promise<void> {
    this.#server ??= this.#admin.buildInfo().then(
      (info) => `${info.deployment_id}@${info.version}`,
      () => undefined,
    );
    const server = await this.#server;
    this.#serverKey = server;
    const remembered = server === undefined ? undefined : this.#memory.get(server);
    if (remembered !== undefined && remembered > this.#level && remembered < this.#sets.length) this.#level = remembered;
  }

  #tried(): string[] {
    return this.#sets.slice(0, this.#level + 1).map((s) => s.label);
  }

  /** Looks for a token we named but never got back, and deletes it; keeps it listed while unsure. */
  async #sweepLost(owner: string, name: string): Promise<void> {
    const id = `${owner.toLowerCase()}/${name}`;
    try {
      const tokens = await this.#admin.listTokens(owner);
      for (const token of tokens.filter((t) => t.token_name === name)) {
        try {
          await this.#admin.deleteToken(owner, token.id);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      this.#lost.delete(id);
    } catch (error) {
      this.#logger?.warn(
        { owner, tokenName: name, error: error instanceof Error ? error.message : String(error) },
        'a token create lost its answer and the token could not be looked up; it expires by itself',
      );
    }
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
