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
  close(): Promise<void>;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function startRecordingProxy(target: string, opts: { webSockets?: boolean } = {}): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        calls.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status: answer.statusCode ?? 0 });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      calls.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, status: 502 });
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
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes: () => calls.filter((c) => !READS.has(c.method)),
    reset: () => void calls.splice(0),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => r());
      }),
  };
}
