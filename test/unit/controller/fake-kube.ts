// A Kubernetes stand-in for reconcile tests: a store of Workspaces the
// reconciler reads as its cache, and a KubeWriter that applies finalizer and
// status writes to it and logs every write in order, with the Coder calls.
import type { ClusterCoderConnection, CoderConnection, Workspace } from '../../../src/api/schema.ts';
import type { EventInput, ExistingObjectWriter, ObjectRef, SecretFinalizers, SecretRead } from '../../../src/controller/kube-writer.ts';
import { ALLOWED_URLS_ANNOTATION, SECRET_TYPE_CODER_TOKEN, SECRET_TYPE_LABEL } from '../../../src/controller/connection/token-secret.ts';

/** coderops.dev/allowed-urls naming the URLs the controller tests use (a ClusterCoderConnection's Secret needs it). */
export const CLUSTER_TEST_URLS = { [ALLOWED_URLS_ANNOTATION]: 'https://coder.example.com, http://127.0.0.1:9' };

export class FakeKube implements ExistingObjectWriter {
  readonly store = new Map<string, Workspace>();
  readonly log: string[];
  readonly events: EventInput[] = [];
  readonly statusPatches: Array<{ ref: ObjectRef; patch: Record<string, unknown> }> = [];
  /** Connection objects by id (`CoderConnection/ns/name`, `ClusterCoderConnection/name`); their status patches apply here. */
  readonly connections = new Map<string, CoderConnection | ClusterCoderConnection>();
  #rv = 100;

  constructor(log: string[]) {
    this.log = log;
  }

  put(ws: Workspace): void {
    this.store.set(`${ws.metadata.namespace}/${ws.metadata.name}`, ws);
  }

  get(key: string): Workspace | undefined {
    return this.store.get(key);
  }

  writes(): string[] {
    return this.log.filter((l) => l.startsWith('kube:'));
  }

  async setFinalizers(ref: ObjectRef, finalizers: string[]): Promise<void> {
    if (ref.kind !== 'Workspace') {
      this.log.push(`kube:finalizers:${ref.kind}`);
      const id = ref.kind === 'CoderConnection' ? `CoderConnection/${ref.namespace}/${ref.name}` : `ClusterCoderConnection/${ref.name}`;
      const c = this.connections.get(id);
      if (!c) return;
      if (c.metadata.deletionTimestamp && finalizers.length === 0) this.connections.delete(id);
      else this.connections.set(id, { ...c, metadata: { ...c.metadata, finalizers, resourceVersion: String(++this.#rv) } } as typeof c);
      return;
    }
    this.log.push('kube:finalizers');
    const ws = this.store.get(`${ref.namespace}/${ref.name}`);
    if (!ws) return;
    if (ws.metadata.deletionTimestamp && finalizers.length === 0) {
      this.store.delete(`${ref.namespace}/${ref.name}`);
      return;
    }
    this.put({ ...ws, metadata: { ...ws.metadata, finalizers, resourceVersion: String(++this.#rv) } });
  }

  async patchStatus(ref: ObjectRef, patch: Record<string, unknown>): Promise<void> {
    this.log.push(`kube:status:${ref.kind}`);
    this.statusPatches.push({ ref, patch });
    if (ref.kind !== 'Workspace') {
      const id = ref.kind === 'CoderConnection' ? `CoderConnection/${ref.namespace}/${ref.name}` : `ClusterCoderConnection/${ref.name}`;
      const c = this.connections.get(id);
      if (c)
        this.connections.set(id, {
          ...c,
          status: applyMerge((c.status ?? {}) as Record<string, unknown>, patch),
          metadata: { ...c.metadata, resourceVersion: String(++this.#rv) },
        } as typeof c);
      return;
    }
    const ws = this.store.get(`${ref.namespace}/${ref.name}`);
    if (!ws) return;
    const status = applyMerge((ws.status ?? {}) as Record<string, unknown>, patch) as Workspace['status'];
    this.put({ ...ws, status, metadata: { ...ws.metadata, resourceVersion: String(++this.#rv) } } as Workspace);
  }

  async event(input: EventInput): Promise<void> {
    this.log.push(`event:${input.reason}`);
    this.events.push(input);
  }

  /** The token Secret's labels: opted in unless a test says otherwise. */
  secretLabels: Record<string, string> = { [SECRET_TYPE_LABEL]: SECRET_TYPE_CODER_TOKEN };

  /**
   * The token Secret's annotations: none by default (a CoderConnection then works, with a
   * TokenURLUnbound warning); CLUSTER_TEST_URLS for tests of a ClusterCoderConnection, which needs it.
   */
  secretAnnotations: Record<string, string> = {};

  /** Token Secrets' metadata by ns/name: absent means it exists with no finalizers (unless listed in `gone`). */
  readonly secrets = new Map<string, SecretFinalizers>();
  readonly goneSecrets = new Set<string>();

  async secretFinalizers(namespace: string, name: string): Promise<SecretFinalizers | undefined> {
    const key = `${namespace}/${name}`;
    if (this.goneSecrets.has(key)) return undefined;
    return this.secrets.get(key) ?? { finalizers: [], resourceVersion: '1', deleting: false };
  }

  async setSecretFinalizers(namespace: string, name: string, finalizers: string[]): Promise<void> {
    this.log.push('kube:finalizers:Secret');
    const key = `${namespace}/${name}`;
    const current = await this.secretFinalizers(namespace, name);
    if (current?.deleting && finalizers.length === 0) {
      this.secrets.delete(key);
      this.goneSecrets.add(key);
      return;
    }
    this.secrets.set(key, { finalizers, resourceVersion: String(++this.#rv), deleting: current?.deleting ?? false });
  }

  async readSecret(): Promise<SecretRead> {
    return { value: 'test-token-0123456789', labels: this.secretLabels, annotations: this.secretAnnotations };
  }
}

function applyMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object')
      out[k] = applyMerge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
