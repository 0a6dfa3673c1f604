// A recording HTTP proxy between the product and a real coderd: it forwards
// every request unchanged and records method, path and status, so tests can
// assert on a real server what the simulator tests assert on the simulator
// (which calls were made, and that a quiet pass makes no write call).
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface RecordedCall {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
}

export interface RecordingProxy {
  url: string;
  calls: RecordedCall[];
  /** Calls that may change something in Coder. */
  writes(): RecordedCall[];
  reset(): void;
  /** Requests forwarded whose answer has not come back yet (a killed client's last ones go on to coderd). */
  inFlight(): number;
  close(): Promise<void>;
  /**
   * Called with each call once coderd has answered it and before the answer
   * is passed on: a test holds it there to act at an exact moment (kill the
   * client after coderd accepted a build and before the client learns so).
   * `body` is a write's request body (its first 64 KiB), e.g. a build's transition.
   */
  hold?: ((call: RecordedCall, body: string) => void | Promise<void>) | undefined;
}

const BODY_LIMIT = 64 << 10;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function startRecordingProxy(target: string, opts: { webSockets?: boolean } = {}): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  let open = 0;
  const server: Server = createServer((req, res) => {
    open++;
    let settled = false;
    const done = () => {
      if (!settled) open--;
      settled = true;
    };
    let body = '';
    if (!READS.has(req.method ?? ''))
      req.on('data', (chunk: Buffer) => {
        if (body.length < BODY_LIMIT) body += chunk.toString('utf8').slice(0, BODY_LIMIT - body.length);
      });
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const call: RecordedCall = { method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status: answer.statusCode ?? 0 };
        calls.push(call);
        done();
        const pass = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (!proxy.hold) return pass();
        answer.pause();
        Promise.resolve(proxy.hold(call, body)).then(pass, () => res.destroy());
      },
    );
    forward.on('error', () => {
      calls.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status: 502 });
      done();
      res.destroy();
    });
    req.pipe(forward);
  });
  // WebSockets (the coder CLI follows build logs over one; the bench opts in):
  // forwarded as raw sockets once coderd answered 101, recorded like any
  // other call. Off by default (no listener at all): with it on, the tier's
  // first CLI test timed out twice (not investigated yet), so the tests keep
  // the proxy as it was.
  const upgraded = new Set<Socket>();
  if (opts.webSockets)
    server.on('upgrade', (req, client: Socket, head: Buffer) => {
      upgraded.add(client);
      client.on('close', () => upgraded.delete(client));
      const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers });
      const record = (status: number) => calls.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status });
      forward.on('upgrade', (answer, socket, answerHead) => {
        record(answer.statusCode ?? 101);
        const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (answerHead.length > 0) client.write(answerHead);
        if (head.length > 0) socket.write(head);
        socket.pipe(client).pipe(socket);
        socket.on('error', () => client.destroy());
        client.on('error', () => socket.destroy());
        socket.on('close', () => client.destroy());
        client.on('close', () => socket.destroy());
      });
      forward.on('response', (answer) => {
        // coderd refused the upgrade: pass its plain answer on.
        record(answer.statusCode ?? 0);
        const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        answer.pipe(client);
      });
      forward.on('error', () => {
        record(502);
        client.destroy();
      });
      forward.end();
    });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const proxy: RecordingProxy = {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes: () => calls.filter((c) => !READS.has(c.method)),
    reset: () => void calls.splice(0),
    inFlight: () => open,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => r());
      }),
  };
  return proxy;
}
