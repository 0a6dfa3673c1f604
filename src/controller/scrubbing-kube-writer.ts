// The one place where what the operator writes to Kubernetes is scrubbed of
// tokens: a KubeWriter that passes every status patch and Event through
// scrubJson (observability/scrub-json.ts) on its way to the apiserver. The
// operator, the Workspace and WorkspaceSet reconcilers and the connection
// status writer hold their KubeWriter through this wrapper (wrapping twice is
// a no-op), so no code path writes a status or an Event around it. A
// Workspace's or a WorkspaceSet's status can quote its connection's state or a
// server's error, and a ClusterCoderConnection carries an admin token that the
// tenants reading them must never see. The objects a set creates and patches
// pass unchanged: they carry the set's own template, what its author wrote,
// and a spec rewritten to [REDACTED] would be a different workspace.
import { scrubJson } from '../observability/scrub-json.ts';
import type { KubeWriter } from './kube-writer.ts';

const SCRUBBING = Symbol('scrubbing');

export function scrubbingKubeWriter<K extends Partial<KubeWriter>>(inner: K): K {
  if ((inner as { [SCRUBBING]?: true })[SCRUBBING]) return inner;
  const out: Partial<KubeWriter> & { [SCRUBBING]: true } = { [SCRUBBING]: true };
  for (const [name, method] of Object.entries(methodsOf(inner))) (out as Record<string, unknown>)[name] = method;
  if (inner.patchStatus) {
    const patchStatus = inner.patchStatus.bind(inner);
    out.patchStatus = (ref, patch) => patchStatus(ref, scrubJson(patch));
  }
  if (inner.event) {
    const event = inner.event.bind(inner);
    out.event = (input) => event({ ...input, reason: scrubJson(input.reason), note: scrubJson(input.note) });
  }
  return out as unknown as K;
}

/** Every method of the writer (own or from its class), bound to it: the writes that carry no text pass through. */
function methodsOf(inner: object): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (let o: object | null = inner; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
    for (const name of Object.getOwnPropertyNames(o)) {
      const value = (inner as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof value === 'function' && !(name in out))
        out[name] = (value as (...args: unknown[]) => unknown).bind(inner);
    }
  return out;
}
