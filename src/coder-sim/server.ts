// The HTTP pipeline: faults, body, soft authentication, rate limit, routing,
// required authentication, handler, after-commit faults, contract check,
// recording, write. The order follows coderd: the rate limiter keys on the
// user before a route rejects a bad token, and unknown routes are limited too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate, extractToken, type Authenticated } from './auth.ts';
import { isSiteOwner } from './authz.ts';
import type { SwaggerContract } from './contract.ts';
import { type FaultInjector, injectedRateLimit, injectedServerError } from './faults.ts';
import { isResponse } from './params.ts';
import { bypassRefused, rateLimitKey, type RateLimiter } from './rate-limit.ts';
import { bodyTooLarge, decodeBody, parseGoBool, readRawBody } from './request-body.ts';
import { encodeGoJson, errorResponse, routeNotFound, type SimResponse } from './responses.ts';
import type { Router } from './router.ts';
import type { SimState } from './state.ts';
import type { RecordedCall } from './types.ts';
import { type RetryAfterWindows, windowKey } from './retry-windows.ts';
import { profileOf } from './versions.ts';

interface PipelineDeps {
  state: SimState;
  router: Router;
  rateLimiter: RateLimiter;
  faults: FaultInjector;
  calls: RecordedCall[];
  /** Present when validateResponses is on and swagger.json was found. */
  contract: SwaggerContract | undefined;
  contractViolations: string[];
  baseUrl: () => string;
  /** Injected 429s' Retry-After windows, recorded on each call (RecordedCall.insideRetryAfterOf). */
  retryWindows: RetryAfterWindows;
}

interface Outcome {
  res: SimResponse;
  route: string;
  extraHeaders: Record<string, string>;
  /** Destroy the socket instead of answering. */
  drop: boolean;
  userId?: string;
}

export async function listen(deps: PipelineDeps, port: number): Promise<{ server: Server; url: string }> {
  let callIds = 0;
  // Connections numbered as they are first seen: a later request on the
  // connection that carried an answer shows the client read that answer.
  let connectionIds = 0;
  const connections = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    let connection = connections.get(req.socket);
    if (connection === undefined) connections.set(req.socket, (connection = ++connectionIds));
    handle(deps, { id: ++callIds, connection }, req, res).catch((err: unknown) => {
      // A bug in the simulator itself: answer like Go's recoverer would, and keep serving.
      if (!res.headersSent)
        writeResponse(res, errorResponse(500, 'Internal error.', { detail: String(err) }), {}, profileOf(deps.state).buildVersion);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${actual}` };
}

async function handle(
  deps: PipelineDeps,
  ids: { id: number; connection: number },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { id } = ids;
  const { state } = deps;
  const at = state.now();
  const parsed = new URL(req.url ?? '/', 'http://sim.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const read = await readRawBody(req);
  const call: RecordedCall = { ...ids, method, path: parsed.pathname, query: parsed.search.replace(/^\?/, ''), route: '', status: 0, at };
  if (read.ok && read.raw !== '') call.requestBody = tryJson(read.raw);

  const plan = deps.faults.plan();
  if (plan.stallMs > 0) call.fault = 'stall';
  if (plan.before !== 'none') call.fault = plan.before;
  if (plan.latencyMs + plan.stallMs > 0) {
    call.heldMs = plan.latencyMs + plan.stallMs;
    await sleep(call.heldMs);
  }
  if (plan.before === 'drop') {
    call.answeredAt = state.now();
    deps.calls.push(call);
    req.socket.destroy();
    return;
  }

  const outcome = decide(deps, req, method, parsed, read, plan.before);
  call.route = outcome.route;
  if (outcome.userId !== undefined) call.userId = outcome.userId;
  const key = windowKey(outcome.userId, parsed.pathname);
  const inside = deps.retryWindows.inside(key, at);
  if (inside.length > 0) call.insideRetryAfterOf = inside;
  if (plan.before === 'none' && plan.after !== 'none') call.fault = plan.after === 'drop' ? 'drop-after-commit' : 'error-after-commit';
  if (plan.after === 'drop' || outcome.drop) {
    call.answeredAt = state.now();
    deps.calls.push(call);
    req.socket.destroy();
    return;
  }
  if (plan.after === 'error') outcome.res = injectedServerError();

  if (deps.contract && typeof outcome.res.body !== 'string') {
    const problems = deps.contract.checkResponse(method, outcome.route, outcome.res.status, outcome.res.body);
    deps.contractViolations.push(...problems.map((p) => `${p} (request ${method} ${parsed.pathname})`));
  }
  call.status = outcome.res.status;
  if (outcome.res.body !== undefined) call.responseBody = outcome.res.body;
  call.answeredAt = state.now();
  if (call.fault === 'burst429' && call.status === 429)
    deps.retryWindows.open(key, id, call.answeredAt, deps.faults.burstRetryAfterSeconds * 1000);
  deps.calls.push(call);
  writeResponse(res, outcome.res, outcome.extraHeaders, profileOf(state).buildVersion);
}

function decide(
  deps: PipelineDeps,
  req: IncomingMessage,
  method: string,
  url: URL,
  read: Awaited<ReturnType<typeof readRawBody>>,
  before: 'none' | 'error' | 'burst429' | 'drop',
): Outcome {
  const { state } = deps;
  const path = url.pathname;
  const match = deps.router.match(method, path);
  const route = match.kind === 'found' ? match.route.template : match.kind === 'method-not-allowed' ? match.template : '';
  const token = extractToken(req, url.searchParams);
  const auth = token === undefined ? undefined : authenticate(state, token);
  const user: Authenticated | undefined = auth && !isResponse(auth) ? auth : undefined;
  const outcome = (res: SimResponse, extraHeaders: Record<string, string> = {}): Outcome => ({
    res,
    route,
    extraHeaders,
    drop: false,
    ...(user ? { userId: user.user.id } : {}),
  });

  if (before === 'error') return outcome(injectedServerError());
  if (before === 'burst429') return outcome(injectedRateLimit(deps.faults.burstRetryAfterSeconds));

  let rateHeaders: Record<string, string> = {};
  if (deps.rateLimiter.enabled && (path.startsWith('/api/v2') || path.startsWith('/api/experimental'))) {
    const bypass = parseGoBool(String(req.headers['x-coder-bypass-ratelimit'] ?? '')) === true;
    if (bypass && user && !isSiteOwner(user.user)) return outcome(bypassRefused());
    if (!(bypass && user)) {
      const decision = deps.rateLimiter.take(rateLimitKey(user?.user.id, req.socket.remoteAddress ?? '', path));
      rateHeaders = decision.headers;
      if (decision.refuse) return outcome(decision.refuse, rateHeaders);
    }
  }

  if (match.kind === 'not-found') return outcome(routeNotFound(), rateHeaders);
  if (match.kind === 'method-not-allowed') return outcome({ status: 405 }, rateHeaders);
  const r = match.route;
  if (r.auth && !user) {
    const failure = auth && isResponse(auth) ? auth : authenticate(state, undefined);
    return outcome(failure as SimResponse, rateHeaders);
  }
  let body: Record<string, unknown> = {};
  if (r.bodySpec) {
    if (!read.ok) return outcome(bodyTooLarge(), rateHeaders);
    const decoded = decodeBody(read.raw, r.bodySpec);
    if (isResponse(decoded)) return outcome(decoded, rateHeaders);
    body = decoded;
  }
  let res: SimResponse;
  try {
    res = r.handler({
      state,
      baseUrl: deps.baseUrl(),
      params: match.params,
      query: url.searchParams,
      // Unauthenticated routes (buildinfo) never read the actor.
      actor: user?.user as Authenticated['user'],
      ...(user ? { key: user.key } : {}),
      body,
    });
  } catch (err) {
    res = errorResponse(500, 'Internal error.', { detail: err instanceof Error ? err.message : String(err) });
  }
  return outcome(res, rateHeaders);
}

function writeResponse(res: ServerResponse, sim: SimResponse, extra: Record<string, string>, buildVersion: string): void {
  const headers: Record<string, string> = { 'X-Coder-Build-Version': buildVersion, ...extra, ...(sim.headers ?? {}) };
  if (sim.body === undefined) {
    res.writeHead(sim.status, headers);
    res.end();
    return;
  }
  if (typeof sim.body === 'string') {
    res.writeHead(sim.status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(sim.body);
    return;
  }
  res.writeHead(sim.status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  res.end(encodeGoJson(sim.body));
}

function tryJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
