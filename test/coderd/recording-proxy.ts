// A recording HTTP proxy between the product and a real coderd: it forwards
// every request unchanged and records method, path and status, so tests can
// assert on a real server what the simulator tests assert on the simulator
// (which calls were made, and that a quiet pass makes no write call).
import { createServer, request, type Server } from 'node:http';

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

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
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
        server.close(() => r());
      }),
  };
}
