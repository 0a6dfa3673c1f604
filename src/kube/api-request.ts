// One Kubernetes REST call, sent over client-node's own transport but without
// its generated API classes.
//
// Why not kc.makeApiClient(CustomObjectsApi) and friends: every generated API
// class pulls in client-node's ObjectSerializer and with it the ~1,000
// generated model classes, and the operator only ever sends a handful of JSON
// requests (list pages, status and finalizer merge patches, Events, a Lease,
// one Secret read). The transport here is the one those classes use: a
// RequestContext authenticated by KubeConfig.applySecurityAuthentication
// (tokens, exec and file auth, client certificates, the pooled TLS agent of
// ./http-agent-pool.ts) and sent by client-node's fetch library. Errors are
// client-node's ApiException, so a caller tells a 404 or 409 apart exactly as
// it did with the generated classes.
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';

export { ApiException };

type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface KubeRequest {
  method: KubeMethod;
  /** Absolute API path, e.g. /apis/coderops.dev/v1alpha1/namespaces/ns/workspaces. */
  path: string;
  /** Undefined values are left out. */
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Default application/json; a merge patch says application/merge-patch+json. */
  contentType?: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';
const USER_AGENT = 'coder-workspace-operator';
const METHODS: Record<KubeMethod, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};
const http = new IsomorphicFetchHttpLibrary();

/** Sends the request; resolves to the parsed JSON answer, rejects with ApiException on a non-2xx status. */
export async function kubeRequest<T>(kc: KubeConfig, request: KubeRequest): Promise<T> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster: check its current-context (or the in-cluster service account)');
  const context = new RequestContext(server.replace(/\/+$/, '') + request.path, METHODS[request.method]);
  for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) context.setQueryParam(name, String(value));
  context.setHeaderParam('Accept', 'application/json');
  context.setHeaderParam('User-Agent', USER_AGENT);
  if (request.body !== undefined) {
    context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
    context.setBody(JSON.stringify(request.body));
  }
  await kc.applySecurityAuthentication(context);
  const response = await http.send(context).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return (text === '' ? undefined : JSON.parse(text)) as T;
  {
    const parsed = parseJsonOrUndefined(text);
    // The apiserver's Status message says what went wrong (not found, conflict, forbidden, invalid).
    const message = (parsed as { message?: unknown } | undefined)?.message;
    throw new ApiException(
      response.httpStatusCode,
      typeof message === 'string' ? message : `${request.method} ${request.path} answered ${response.httpStatusCode}`,
      parsed ?? text,
      response.headers,
    );
  }
}

function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
