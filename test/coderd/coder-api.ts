// The test tier's own small Coder API client: what the tests assert on is what
// coderd answers, read with plain fetch, never through the product's client.
// The admin token is a site Owner's; requests carry the rate-limit bypass
// header so assertions and bootstrap never eat into the product's budget.
import { eventually } from '../support/eventually.ts';

export class CoderApiError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, method: string, path: string, body: string) {
    super(`${method} ${path}: ${status} ${body.slice(0, 500)}`);
    this.status = status;
    this.body = body;
  }
}

export class CoderApi {
  readonly url: string;
  readonly token: string;
  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        'Coder-Session-Token': this.token,
        'X-Coder-Bypass-Ratelimit': 'true',
        ...(body !== undefined && !(body instanceof Uint8Array) ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? null : body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new CoderApiError(res.status, method, path, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The status of a request, for asserting refusals. */
  async status(method: string, path: string, body?: unknown): Promise<number> {
    try {
      await this.request(method, path, body);
      return 200;
    } catch (error) {
      if (error instanceof CoderApiError) return error.status;
      throw error;
    }
  }

  get = <T = any>(path: string) => this.request<T>('GET', path);

  /** Every workspace, all owners, as coderd lists them (including dormant ones). */
  async workspaces(query = ''): Promise<any[]> {
    const all: any[] = [];
    for (let offset = 0; ; ) {
      const page = await this.get<{ workspaces: any[]; count: number }>(
        `/api/v2/workspaces?limit=500&offset=${offset}&q=${encodeURIComponent(query)}`,
      );
      all.push(...page.workspaces);
      offset += page.workspaces.length;
      if (page.workspaces.length === 0 || offset >= page.count) return all;
    }
  }

  async workspaceByName(owner: string, name: string): Promise<any | undefined> {
    try {
      return await this.get(`/api/v2/users/${owner}/workspace/${name}?include_deleted=false`);
    } catch (error) {
      if (error instanceof CoderApiError && (error.status === 404 || error.status === 410)) return undefined;
      throw error;
    }
  }

  /** Waits for the workspace's latest build to leave pending/running states. */
  async waitBuild(id: string, timeoutMs = 60_000): Promise<any> {
    return eventually(
      `workspace ${id}'s build to end`,
      async () => {
        const ws = await this.get(`/api/v2/workspaces/${id}?include_deleted=true`);
        const status = ws.latest_build.status;
        if (['pending', 'starting', 'stopping', 'deleting', 'canceling'].includes(status)) throw new Error(`build still ${status}`);
        return ws;
      },
      timeoutMs,
      { everyMs: 250 },
    );
  }
}
