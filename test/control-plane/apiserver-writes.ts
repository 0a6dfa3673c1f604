// Write requests a kube-apiserver has served, by verb and resource, read from
// its own request counter (apiserver_request_total in /metrics). Used by the
// e2e tests and the benchmark to count Kubernetes writes: the counter sees
// no-op patches too, which resourceVersions do not.
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);

/** `VERB resource[/subresource]` -> count, from the text of `GET /metrics`. */
export function apiserverWritesFrom(metricsText: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}
