// The small HTTP server for /metrics, /healthz and /readyz. The checks are
// functions the owner passes in (sync: "the loop is alive", "the first tick
// finished"; the operator later: informers synced, leader elected), so this
// file knows nothing about either.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** undefined when healthy, else the reason, which the endpoint prints. */
type Check = () => string | undefined;

interface HttpServerOptions {
  /** `host:port`, `:port` (all interfaces) or `0` (no server). */
  address: string;
  registry: Registry;
  liveness?: Check;
  readiness?: Check;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

class BindAddressError extends Error {
  override name = 'BindAddressError';
}

function parseBindAddress(address: string): { host: string; port: number } | undefined {
  if (address === '0') return undefined;
  const m = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new BindAddressError(`bind address must be host:port, :port or 0, got "${address}"`);
  const host = m[1] === '' ? '0.0.0.0' : m[1]!.replace(/^\[|\]$/g, '');
  return { host, port };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer | undefined> {
  const bind = parseBindAddress(opts.address);
  if (!bind) return undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const check = path === '/healthz' ? opts.liveness : path === '/readyz' ? opts.readiness : undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    } else if (path === '/healthz' || path === '/readyz') {
      const problem = check?.();
      res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(problem ?? 'ok');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz');
    }
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => resolvePromise());
  });
  const { port, address } = server.address() as AddressInfo;
  return { url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`, close: () => close(server) };
}

function close(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}
