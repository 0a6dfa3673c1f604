// The Coder simulator without its socket: the real CoderClient (transport,
// error mapping, pagination) talks to the simulator's own routes and
// handlers through a fetch that never leaves the process. Over loopback HTTP
// one generated sequence of runs costs tens of milliseconds; the property
// tests run a thousand per property, the benchmark a hundred thousand.
// What a property checks is read from the simulator's store afterwards, so
// a delete is what the simulator did, not what the client thought it did.
import { authenticate } from '../../src/coder-sim/auth.ts';
import { SIM_ROUTES } from '../../src/coder-sim/index.ts';
import { isResponse } from '../../src/coder-sim/params.ts';
import { decodeBody } from '../../src/coder-sim/request-body.ts';
import { encodeGoJson, routeNotFound, type SimResponse } from '../../src/coder-sim/responses.ts';
import { Router } from '../../src/coder-sim/router.ts';
import { applySeed, type SimSeed } from '../../src/coder-sim/seed.ts';
import { SimState } from '../../src/coder-sim/state.ts';
import { bindProfile, versionProfile } from '../../src/coder-sim/versions.ts';
import { CoderClient } from '../../src/coder/client.ts';

/** The host the in-process fetch answers for; any other URL goes to the real fetch. */
const HOST = 'sim.in-process.invalid';
export const IN_PROCESS_URL = `http://${HOST}`;

const router = new Router(SIM_ROUTES);

/** What a crash does to the call it happens at: the call never reaches Coder, or Coder does it and the answer is lost. */
export type CrashMode = 'before' | 'after';

/** One run of the CLI: its own clients, and a process that may die at one of its calls. */
export interface RunSession {
  /** A client acting as `username` for this run only. */
  client(username: string): CoderClient;
  /** Resolves when the run died (its crash call came); never, if the run ended first. */
  crashed: Promise<void>;
  /** Ends the session: a call still made by the run after this (a run that died) hangs for ever, like one of a dead process. */
  end(): void;
}

export interface InProcessSim {
  state: SimState;
  /**
   * A run whose n-th call (1-based), if it comes, hangs for ever, before or
   * after the simulator handled it, and so does every later one: the process
   * running the CLI died there.
   */
  beginRun(crash?: { at: number; mode: CrashMode }): RunSession;
  /** Calls that changed something (a 2xx to anything but GET), in order. */
  writes: { method: string; path: string }[];
}

interface Session {
  sim: InProcessSim;
  calls: number;
  crash: { at: number; mode: CrashMode } | undefined;
  fired: () => void;
  dead: boolean;
}

const sessions = new Map<number, Session>();
let nextSession = 0;
let installed = false;

export function startInProcessSim(seed: SimSeed): InProcessSim {
  installFetch();
  const state = new SimState({ clock: Date.now, allowRenames: true, buildDurationMs: 0, randomSeed: 0x5eed });
  bindProfile(state, versionProfile(undefined));
  applySeed(state, seed);
  state.defaultOrg();
  const sim: InProcessSim = {
    state,
    writes: [],
    beginRun(crash) {
      const id = ++nextSession;
      let fired: () => void = () => undefined;
      const crashed = new Promise<void>((resolve) => {
        fired = resolve;
      });
      const session: Session = { sim, calls: 0, crash, fired, dead: false };
      sessions.set(id, session);
      return {
        crashed,
        client: (username) =>
          new CoderClient({
            // The session rides in the path prefix, which the client keeps in front of every call.
            url: `${IN_PROCESS_URL}/run-${id}`,
            token: state.tokenFor(username),
            // A lost answer is a crash here, never retried; the simulator has no rate limit in process.
            maxRetries: 0,
            requestsPerMinute: 1_000_000_000,
            sleep: async () => undefined,
          }),
        end: () => {
          session.dead = true;
          sessions.delete(id);
        },
      };
    },
  };
  return sim;
}

function installFetch(): void {
  if (installed) return;
  installed = true;
  const real = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.host !== HOST) return real(input, init);
    return answer(url, init ?? {});
  }) as typeof fetch;
}

/** A promise nobody can settle: the run waiting on it is as good as dead, and is garbage once dropped. */
function never(): Promise<Response> {
  return new Promise<Response>(() => undefined);
}

async function answer(url: URL, init: RequestInit): Promise<Response> {
  const prefix = /^\/run-(\d+)(\/.*)$/.exec(url.pathname);
  const session = prefix ? sessions.get(Number(prefix[1])) : undefined;
  if (!session || session.dead) return never(); // a call of a run that died, or already ended
  const path = new URL(prefix![2]!, url);
  path.search = url.search;
  session.calls += 1;
  const dies = session.crash !== undefined && session.calls >= session.crash.at;
  if (dies && session.crash!.mode === 'before') {
    session.dead = true;
    session.fired();
    return never();
  }
  const method = (init.method ?? 'GET').toUpperCase();
  const res = handle(session.sim, method, path, new Headers(init.headers), typeof init.body === 'string' ? init.body : '');
  if (method !== 'GET' && res.status < 300) session.sim.writes.push({ method, path: path.pathname });
  if (dies) {
    session.dead = true;
    session.fired();
    return never();
  }
  if (res.body === undefined) return new Response(null, { status: res.status, headers: res.headers ?? {} });
  const text = typeof res.body === 'string' ? res.body : encodeGoJson(res.body);
  return new Response(text, {
    status: res.status,
    headers: { 'Content-Type': typeof res.body === 'string' ? 'text/plain' : 'application/json', ...(res.headers ?? {}) },
  });
}

/** The server pipeline's routing, authentication, body decoding and handler, without the faults and rate limit. */
function handle(sim: InProcessSim, method: string, url: URL, headers: Headers, raw: string): SimResponse {
  const match = router.match(method, url.pathname);
  if (match.kind === 'not-found') return routeNotFound();
  if (match.kind === 'method-not-allowed') return { status: 405 };
  const auth = authenticate(sim.state, headers.get('coder-session-token') ?? undefined);
  if (match.route.auth && isResponse(auth)) return auth;
  let body: Record<string, unknown> = {};
  if (match.route.bodySpec) {
    const decoded = decodeBody(raw, match.route.bodySpec);
    if (isResponse(decoded)) return decoded;
    body = decoded;
  }
  const user = isResponse(auth) ? undefined : auth;
  return match.route.handler({
    state: sim.state,
    baseUrl: IN_PROCESS_URL,
    params: match.params,
    query: url.searchParams,
    actor: user?.user as NonNullable<typeof user>['user'],
    ...(user ? { key: user.key } : {}),
    body,
  });
}
