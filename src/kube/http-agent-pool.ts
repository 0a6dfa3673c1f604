// One keep-alive connection pool per cluster for every Kubernetes call.
//
// @kubernetes/client-node 2.0.1 authenticates each request through
// KubeConfig.applySecurityAuthentication, which builds a brand-new undici Agent
// for every request (its agent cache covers only the legacy https.Agent path).
// A new Agent has no idle connection, so every status patch, Event, list and
// watch paid a fresh TCP connection, a full TLS handshake and a new secure
// context with the CA parsed again: about a third of the operator's CPU and
// much of its native memory in the benchmark (docs/performance.md).
//
// applySecurityAuthentication is the public SecurityAuthentication hook that
// Watch, the generated API clients and our own requests (./api-request.ts)
// all call, so overriding it here covers every call without touching
// node_modules. We let client-node
// do all of its work first (headers, tokens refreshed by exec/file auth, the
// Agent built from exactly its own TLS options), then keep the first Agent it
// built and hand that same Agent to every later request with the same TLS
// material. TLS verification is therefore exactly client-node's: the same CA,
// client certificate, servername and rejectUnauthorized, only reused.
import { createHash } from 'node:crypto';
import { bufferFromFileOrString, KubeConfig, type RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class SharedConnectionsKubeConfig extends KubeConfig {
  #shared: { key: string; dispatcher: Dispatcher } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    // No TLS options (plain http, or nothing configured): fetch's global dispatcher, which already pools.
    if (fresh === undefined) return;
    const key = this.#tlsKey();
    const shared = this.#shared;
    if (shared?.key === key) {
      context.setDispatcher(shared.dispatcher);
      // The per-request Agent never connected; closing it frees nothing but makes the intent plain.
      void fresh.close().catch(() => undefined);
      return;
    }
    // First request, or the TLS material changed (a rotated CA or client certificate): new
    // requests use the new Agent; the old one finishes its in-flight requests (watches) and closes.
    this.#shared = { key, dispatcher: fresh };
    if (shared) void shared.dispatcher.close().catch(() => undefined);
  }

  /**
   * A digest of everything the Agent's TLS setup depends on: the same fields
   * client-node reads for it (CA, client certificate and key, from file or
   * inline data, so a rotated file counts), and nothing else. In particular
   * not applyToHTTPSOptions, which would also run the authenticators (exec
   * plugins, token files) a second time for every request.
   */
  #tlsKey(): string {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    const hash = createHash('sha256');
    const part = (v: unknown) => hash.update(v === undefined || v === null ? '\0' : Buffer.isBuffer(v) ? v : String(v)).update('\x1f');
    for (const v of [
      cluster?.server,
      cluster?.proxyUrl,
      cluster?.skipTLSVerify,
      cluster?.tlsServerName,
      cluster ? bufferFromFileOrString(cluster.caFile, cluster.caData) : null,
      user ? bufferFromFileOrString(user.certFile, user.certData) : null,
      user ? bufferFromFileOrString(user.keyFile, user.keyData) : null,
    ])
      part(v);
    return hash.digest('hex');
  }
}
