// Reads an answer's body with a byte limit. A server (or whatever a tenant's
// CoderConnection URL names) may answer gigabytes; response.text() would hold
// all of it in memory before we could look. Here the body is streamed and the
// read stops as soon as the limit is passed, so memory stays within the limit
// whatever the server sends. Bytes are counted after fetch's decompression, so
// a small gzip bomb is bounded too.

interface BoundedBody {
  text: string;
  /** The body was longer than the limit: `text` holds only its first bytes. */
  over: boolean;
}

export async function readBounded(response: Response, limitBytes: number): Promise<BoundedBody> {
  const body = response.body;
  if (!body) return { text: '', over: false };
  // An honest Content-Length past the limit: do not start reading. (For an
  // encoded body it counts compressed bytes, less than what we would read.)
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!response.headers.has('content-encoding') && Number.isFinite(declared) && declared > limitBytes) {
    await body.cancel().catch(() => undefined);
    return { text: '', over: true };
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limitBytes) {
      chunks.push(value.subarray(0, limitBytes - size));
      // Cancelling closes the socket: the rest is never transferred.
      await reader.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).toString('utf8'), over: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), over: false };
}

/** 4194304 -> "4 MiB", for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
