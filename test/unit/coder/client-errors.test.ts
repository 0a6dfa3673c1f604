// How answers become results or typed errors.
import { afterEach, describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { fakeTime, sendJson, startServer, testClient, workspace, type TestServer } from './http-fixture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function errorFrom(respond: Parameters<typeof startServer>[0]): Promise<CoderApiError> {
  server = await startServer(respond);
  const error = await testClient(server.url, fakeTime(), { maxRetries: 0 })
    .getWorkspace('w1')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CoderApiError);
  return error as CoderApiError;
}

describe('error mapping', () => {
  it('keeps message, detail and validations of a codersdk.Response', async () => {
    const body = {
      message: 'Validation failed.',
      detail: 'Key: name Error: workspace_name',
      validations: [{ field: 'name', detail: 'Validation failed for tag "workspace_name" with value: "a--b"' }],
    };
    const error = await errorFrom((_req, res) => sendJson(res, 400, body));
    expect(error.status).toBe(400);
    expect(error.method).toBe('GET');
    expect(error.path).toBe('/api/v2/workspaces/w1');
    expect(error.response).toEqual(body);
    expect(error.validations).toEqual(body.validations);
    expect(error.describe()).toBe(
      'Validation failed.; Key: name Error: workspace_name; name: Validation failed for tag "workspace_name" with value: "a--b"',
    );
    expect(error.message).toContain('Validation failed. (Key: name Error: workspace_name)');
  });

  it('drops malformed validations and empty details', async () => {
    const error = await errorFrom((_req, res) =>
      sendJson(res, 409, {
        message: 'Workspace "x" already exists.',
        detail: '',
        validations: [{ field: 'name' }, 'junk', { field: 'name', detail: 'in use' }],
      }),
    );
    expect(error.response).toEqual({ message: 'Workspace "x" already exists.', validations: [{ field: 'name', detail: 'in use' }] });
  });

  it.each([
    [
      'plain text (428 for a refused bypass)',
      428,
      'text/plain',
      '  Only owners may bypass the rate limit.\n',
      "refused X-Coder-Bypass-Ratelimit (HTTP 428): only a site Owner's token may bypass the rate limit",
    ],
    ['JSON without a message', 500, 'application/json', '{"error":"x"}', 'did not answer like a Coder API (HTTP 500)'],
    ['JSON with an empty message', 500, 'application/json', '{"message":" \\u0007 "}', 'did not answer like a Coder API (HTTP 500)'],
    [
      'HTML from a proxy',
      502,
      'text/html',
      '<html><body>internal admin page: db password hunter2</body></html>',
      'did not answer like a Coder API (HTTP 502)',
    ],
    ['empty body', 502, 'text/plain', '', 'answered HTTP 502 with an empty body'],
  ])('%s: our own words, naming the host, quoting nothing', async (_name, status, type, text, message) => {
    const error = await errorFrom((_req, res) => res.writeHead(status, { 'Content-Type': type }).end(text));
    expect(error.status).toBe(status);
    expect(error.response).toEqual({ message: `server at ${new URL(server!.url).host} ${message}` });
  });

  it('a long non-JSON body is not quoted at all', async () => {
    const error = await errorFrom((_req, res) =>
      res.writeHead(400, { 'Content-Type': 'text/html' }).end(`<html>${'x'.repeat(5000)}</html>`),
    );
    expect(error.response.message).not.toContain('xxx');
    expect(error.response.message).toContain('did not answer like a Coder API (HTTP 400)');
  });

  it("Coder's message and detail: bounded, one line, no control characters, no token-like runs", async () => {
    const secret = 'Zx9yW8vU7tS6rR5qQ4pP3oO2nN1mM0lLkKjJ';
    const body = {
      message:
        `Bad \u001b[31mred\u001b[0m\nline \u202eevil ${secret} ` + `for workspace 3f2504e0-4f89-41d3-9a0c-0305e82c3301 ${'m'.repeat(400)}`,
      detail: `key ${secret}\r\nand more`,
      validations: Array.from({ length: 30 }, (_, i) => ({ field: `f${i}\u0000`, detail: 'd'.repeat(300) })),
    };
    const error = await errorFrom((_req, res) => sendJson(res, 400, body));
    const { message, detail, validations } = error.response;
    expect(message.length).toBeLessThanOrEqual(200);
    expect(message.startsWith('Bad [31mred [0m line evil [REDACTED] for workspace 3f2504e0-4f89-41d3-9a0c-0305e82c3301 mmm')).toBe(true);
    expect(detail).toBe('key [REDACTED] and more');
    expect(validations).toHaveLength(10);
    expect(validations![0]).toEqual({ field: 'f0', detail: `${'d'.repeat(199)}…` });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is that no control character is left
    expect(JSON.stringify(error.response)).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('does not follow redirects (the token would go with them)', async () => {
    const elsewhere = await startServer((_req, res) => sendJson(res, 200, workspace('w1')));
    try {
      const error = await errorFrom((_req, res) =>
        res.writeHead(307, { Location: `${elsewhere.url}/api/v2/workspaces/w1?session=abc` }).end(),
      );
      expect(error.status).toBe(307);
      expect(error.response.detail).toBe(`Location: ${elsewhere.url}/api/v2/workspaces/w1`);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('a 2xx that is not JSON is an error that does not quote the body', async () => {
    server = await startServer((_req, res) => res.writeHead(201, { 'Content-Type': 'text/plain' }).end('abcdef1234-notjson'));
    const error = await testClient(server.url, fakeTime())
      .createToken('alice', { token_name: 'n', lifetime: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoderApiError);
    expect(JSON.stringify(error)).not.toContain('notjson');
    expect((error as Error).message).not.toContain('notjson');
  });
});

describe('answers that are not errors', () => {
  it('setDormant: 304 is undefined, 200 is the workspace', async () => {
    server = await startServer((_req, res, i) =>
      i === 0 ? sendJson(res, 304) : sendJson(res, 200, workspace('w1', { dormant_at: 'now' })),
    );
    const client = testClient(server.url, fakeTime());
    expect(await client.setDormant('w1', true)).toBeUndefined();
    expect(await client.setDormant('w1', true)).toMatchObject({ id: 'w1', dormant_at: 'now' });
  });

  it('304 is an error anywhere else', async () => {
    server = await startServer((_req, res) => sendJson(res, 304));
    await expect(testClient(server.url, fakeTime()).setTtl('w1', 60_000)).rejects.toMatchObject({ status: 304 });
  });

  it('findWorkspace: 404 is undefined, other errors are thrown', async () => {
    server = await startServer((req, res) =>
      req.path.endsWith('/gone')
        ? sendJson(res, 404, { message: 'Resource not found or you do not have access to this resource' })
        : req.path.endsWith('/bad')
          ? sendJson(res, 400, { message: 'Invalid.' })
          : sendJson(res, 200, workspace('w1')),
    );
    const client = testClient(server.url, fakeTime());
    expect(await client.findWorkspace('alice', 'gone')).toBeUndefined();
    expect(await client.findWorkspace('alice', 'dev')).toMatchObject({ id: 'w1' });
    await expect(client.findWorkspace('alice', 'bad')).rejects.toMatchObject({ status: 400 });
  });

  it('getWorkspace: 404 and 410 are thrown', async () => {
    server = await startServer((req, res) => sendJson(res, req.path.endsWith('w404') ? 404 : 410, { message: 'no' }));
    const client = testClient(server.url, fakeTime());
    await expect(client.getWorkspace('w404')).rejects.toMatchObject({ status: 404 });
    await expect(client.getWorkspace('w410')).rejects.toMatchObject({ status: 410 });
  });
});
