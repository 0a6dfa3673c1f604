// One runtime per CoderConnection / ClusterCoderConnection: the token (read by
// GET from its Secret, registered for scrubbing), the Coder client, the owner
// token broker, the connection's health and a Snapshot of every workspace the
// token sees, filled by ONE paginated list. Reconciles read the snapshot, so
// an idle pass costs no Coder call; the snapshot is refreshed on resync, and
// when a declaration's workspace is missing from a snapshot older than
// staleMs; concurrent refreshes share one list.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CoderApi } from '../../coder/api.ts';
import { CircuitBreaker } from '../../coder/circuit-breaker.ts';
import { OwnerTokenBroker } from '../../coder/owner-tokens.ts';
import { CoderWorkspaces, Snapshot, WorkspaceEngine } from '../../engine/index.ts';
import { acceptToken, tokenFormProblem } from '../../coder/session-token.ts';
import { checkCoder } from './coder-check.ts';
import type { ConnectionState } from './state.ts';
import type { SecretRead } from '../kube-writer.ts';
import { notLabelledMessage, optedIn, urlBinding } from './token-secret.ts';

interface ConnectionSpecLike {
  url: string;
  tokenSecretRef: { name: string; key?: string; namespace?: string };
  requestsPerMinute?: number;
  bypassRateLimit?: boolean;
}

/** What identifies a connection object: `CoderConnection/ns/name` or `ClusterCoderConnection/name`. */
export interface ConnectionRef {
  id: string;
  kind: 'CoderConnection' | 'ClusterCoderConnection';
  name: string;
  /** The namespace its Secret lives in. */
  secretNamespace: string;
  spec: ConnectionSpecLike;
}

/** The Secret was read but lacks the opt-in label: its value is never used. */
class SecretNotLabelledError extends Error {}

/** The Secret does not allow its token to go to the connection's URL. */
class UrlNotAllowedError extends Error {}

/** The Secret's key holds no usable token; the message names the Secret and key, never the value. */
class InvalidTokenError extends Error {}

interface ConnectionDeps {
  /** GET of one Secret key and the Secret's labels (RBAC allows get only); throws when absent. */
  readSecret(namespace: string, name: string, key: string): Promise<SecretRead>;
  /** `source` names the connection in the client's errors (a list bound, say). */
  makeApi(opts: {
    url: string;
    token: string;
    source: string;
    /** The connection's breaker, kept across rebuilds (a rebuild while it is open sends nothing). */
    breaker: CircuitBreaker;
    /** Undefined: the client's default. */
    requestsPerMinute?: number | undefined;
    bypassRateLimit?: boolean | undefined;
  }): CoderApi;
  logger: Logger;
  now?: () => number;
  /** A missing workspace triggers a refresh only when the snapshot is older than this. Default 3 s. */
  staleMs?: number;
  /** A check that failed for a reason other than the token is retried after this. Default 15 s. */
  recheckMs?: number;
  /** How long a connection whose server let a request time out gets no requests. Default 30 s (one request timeout). */
  breakerCooldownMs?: number;
}

export class ConnectionRuntime {
  readonly ref: ConnectionRef;
  readonly api: CoderApi | undefined;
  readonly owners: OwnerTokenBroker | undefined;
  /** The engine entry for this connection's Workspaces (engine/engine.ts); undefined without a client. */
  readonly engine: WorkspaceEngine | undefined;
  state: ConnectionState;
  snapshot = new Snapshot();
  snapshotAt = 0;
  readonly checkedAt: number;
  /** JSON of the spec it was built from: a changed spec rebuilds it. */
  readonly specKey: string;
  /** sha256 of the token it holds (undefined: none read): a rotated Secret rebuilds it on resync. */
  readonly tokenHash: string | undefined;
  readonly #now: () => number;
  #refreshing: Promise<Snapshot> | undefined;

  constructor(init: { ref: ConnectionRef; tokenHash?: string; api?: CoderApi; state: ConnectionState; now: () => number }) {
    this.ref = init.ref;
    this.api = init.api;
    this.state = init.state;
    this.specKey = JSON.stringify(init.ref.spec);
    this.tokenHash = init.tokenHash;
    this.#now = init.now;
    this.checkedAt = init.now();
    this.owners = init.api ? new OwnerTokenBroker({ admin: init.api }) : undefined;
    this.engine =
      init.api && this.owners
        ? new WorkspaceEngine(new CoderWorkspaces(init.api, this.owners), { coderUrl: init.ref.spec.url })
        : undefined;
  }

  /** One list; callers arriving while it runs share it. */
  refresh(): Promise<Snapshot> {
    const engine = this.engine;
    if (!engine) return Promise.resolve(this.snapshot);
    this.#refreshing ??= (async () => {
      const started = this.#now();
      // Reconciles keep writing to the current snapshot while the list is in
      // flight; what they learned may be newer than the list's answer. Replay
      // it, or the next look would act on a stale copy (write again, or find a
      // workspace just created missing and create it again).
      const current = this.snapshot;
      current.recordChanges();
      try {
        const snapshot = await engine.list();
        current.replayChanges(snapshot);
        this.snapshot = snapshot;
        this.snapshotAt = started;
        if (this.state.ready && snapshot.allowRenames !== undefined) this.state = { ...this.state, renamesAllowed: snapshot.allowRenames };
        return snapshot;
      } finally {
        current.stopRecording();
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  ageMs(): number {
    return this.#now() - this.snapshotAt;
  }
}

export class ConnectionRegistry {
  readonly #deps: ConnectionDeps;
  readonly #now: () => number;
  readonly #runtimes = new Map<string, Promise<ConnectionRuntime>>();
  /** Ids whose check has finished at least once (for /readyz). */
  readonly #settled = new Set<string>();
  /** One circuit breaker per connection id, for the life of the process (src/coder/circuit-breaker.ts). */
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(deps: ConnectionDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  get staleMs(): number {
    return this.#deps.staleMs ?? 3000;
  }

  /**
   * The runtime for a connection; built (Secret read, token checked, first
   * list) on first use and rebuilt when the spec changed. A runtime whose
   * token was refused stays not ready, without Coder calls, until the
   * connection changes or recheck() (resync) reads the Secret again.
   */
  async runtime(ref: ConnectionRef): Promise<ConnectionRuntime> {
    const specKey = JSON.stringify(ref.spec);
    const existing = this.#runtimes.get(ref.id);
    if (existing) {
      const rt = await existing.catch(() => undefined);
      const retry =
        rt && !rt.state.ready && rt.state.reason !== 'Unauthorized' && this.#now() - rt.checkedAt >= (this.#deps.recheckMs ?? 15_000);
      if (rt && rt.specKey === specKey && !retry) return rt;
      if (this.#runtimes.get(ref.id) === existing) this.#runtimes.delete(ref.id);
      if (rt) void rt.owners?.release();
    }
    let building = this.#runtimes.get(ref.id);
    if (!building) {
      building = this.#build(ref);
      this.#runtimes.set(ref.id, building);
      building.then(
        () => this.#settled.add(ref.id),
        () => this.#runtimes.delete(ref.id),
      );
    }
    return building;
  }

  /**
   * Is this connection's server suspected of hanging (its breaker is open or
   * half-open)? The operator then lets only one reconcile of it hold a worker
   * at a time (connection-slots.ts).
   */
  suspect(id: string): boolean {
    const breaker = this.#breakers.get(id);
    return breaker !== undefined && breaker.state !== 'closed';
  }

  #breaker(id: string): CircuitBreaker {
    let breaker = this.#breakers.get(id);
    if (!breaker)
      this.#breakers.set(id, (breaker = new CircuitBreaker({ cooldownMs: this.#deps.breakerCooldownMs ?? 30_000, now: this.#now })));
    return breaker;
  }

  /** Has this connection been checked (ready or not) since it was last built? */
  checked(id: string): boolean {
    return this.#settled.has(id);
  }

  /** Forget a runtime (its token was refused mid-flight, or its object changed); the next use rebuilds it. */
  invalidate(id: string): void {
    const rt = this.#runtimes.get(id);
    this.#runtimes.delete(id);
    void rt?.then((r) => r.owners?.release()).catch(() => undefined);
  }

  /**
   * Resync: re-read each Secret (a rotated token takes effect) and refresh
   * each healthy snapshot with one list per connection.
   */
  async resync(refs: ConnectionRef[]): Promise<ConnectionRuntime[]> {
    const out: ConnectionRuntime[] = [];
    for (const ref of refs) {
      try {
        const current = await this.#runtimes.get(ref.id)?.catch(() => undefined);
        const token = await this.#token(ref).then(
          (t) => t.token,
          () => undefined,
        );
        if (current && (!current.state.ready || token === undefined || current.tokenHash !== hashToken(token))) this.invalidate(ref.id);
        const rt = await this.runtime(ref);
        if (rt.state.ready && rt === current) await rt.refresh();
        out.push(rt);
      } catch (error) {
        this.#deps.logger.warn({ connection: ref.id, err: error }, 'resync of a connection failed');
      }
    }
    return out;
  }

  async close(): Promise<void> {
    const all = await Promise.all([...this.#runtimes.values()].map((p) => p.catch(() => undefined)));
    this.#runtimes.clear();
    await Promise.all(all.map((rt) => rt?.owners?.release()));
  }

  /**
   * The token, only from a Secret that opted in (else SecretNotLabelledError) and allows the
   * connection's URL (else UrlNotAllowedError); `warning` when the Secret names no URL at all
   * and the connection is a CoderConnection, which the migration still lets through.
   */
  async #token(ref: ConnectionRef): Promise<{ token: string; warning?: string }> {
    const key = ref.spec.tokenSecretRef.key ?? 'token';
    const name = ref.spec.tokenSecretRef.name;
    const read = await this.#deps.readSecret(ref.secretNamespace, name, key);
    if (!optedIn(read.labels)) throw new SecretNotLabelledError(notLabelledMessage(ref.secretNamespace, name));
    const binding = urlBinding(read.annotations, ref.spec.url, { namespace: ref.secretNamespace, name });
    if (binding.kind === 'refused') throw new UrlNotAllowedError(binding.message);
    if (binding.kind === 'unbound' && ref.kind === 'ClusterCoderConnection')
      throw new UrlNotAllowedError(`${binding.message} (required for a ClusterCoderConnection)`);
    const token = acceptToken(read.value);
    if (!token) throw new Error(`key "${key}" is empty`);
    const problem = tokenFormProblem(token);
    if (problem)
      throw new InvalidTokenError(
        `key "${key}" of Secret ${ref.secretNamespace}/${ref.spec.tokenSecretRef.name} does not hold a usable Coder token: ${problem}; ` +
          'store the token alone in it',
      );
    return binding.kind === 'unbound' ? { token, warning: binding.message } : { token };
  }

  async #build(ref: ConnectionRef): Promise<ConnectionRuntime> {
    const now = this.#now;
    const secret = `${ref.secretNamespace}/${ref.spec.tokenSecretRef.name}`;
    let token: string;
    let warning: string | undefined;
    try {
      ({ token, warning } = await this.#token(ref));
    } catch (error) {
      if (error instanceof UrlNotAllowedError)
        return new ConnectionRuntime({ ref, state: { ready: false, reason: 'URLNotAllowed', message: error.message }, now });
      if (error instanceof SecretNotLabelledError)
        return new ConnectionRuntime({ ref, state: { ready: false, reason: 'SecretNotLabelled', message: error.message }, now });
      if (error instanceof InvalidTokenError)
        return new ConnectionRuntime({ ref, state: { ready: false, reason: 'InvalidToken', message: error.message }, now });
      const message = `cannot read the token from Secret ${secret}: ${error instanceof Error ? error.message : String(error)}`;
      return new ConnectionRuntime({ ref, state: { ready: false, reason: 'SecretNotFound', message }, now });
    }
    let api: CoderApi;
    try {
      api = this.#deps.makeApi({
        url: ref.spec.url,
        token,
        source: `connection ${ref.id}`,
        breaker: this.#breaker(ref.id),
        requestsPerMinute: ref.spec.requestsPerMinute,
        bypassRateLimit: ref.spec.bypassRateLimit,
      });
    } catch (error) {
      // The client refuses a URL it must not send a token to (not http(s), userinfo, a query).
      const message = `cannot use the connection URL: ${error instanceof Error ? error.message : String(error)}`;
      return new ConnectionRuntime({ ref, tokenHash: hashToken(token), state: { ready: false, reason: 'Unreachable', message }, now });
    }
    const checked = await checkCoder(api, ref.spec.url, secret);
    const state: ConnectionState = checked.ready && warning ? { ...checked, warning } : checked;
    if (warning) this.#deps.logger.warn({ connection: ref.id }, warning);
    const rt = new ConnectionRuntime({ ref, tokenHash: hashToken(token), api, state, now });
    if (state.ready) {
      try {
        await rt.refresh();
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        rt.state = {
          ready: false,
          reason: 'Unreachable',
          message: `Coder at ${ref.spec.url} accepted the token but listing its workspaces failed: ${cause}`,
        };
      }
    }
    this.#deps.logger.info({ connection: ref.id, ready: rt.state.ready, workspaces: rt.snapshot.size }, 'connection checked');
    return rt;
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
