// A stand-in for Kubernetes and Coder around the WorkspaceSet reconciler: a
// store of sets and Workspaces that applies the controller's writes as the
// apiserver would (409 on a taken name or a stale resourceVersion, uid
// preconditions on delete, merge patches), a child index fed from it as the
// informer would, and a scriptable member reader that counts its reads.
import { pino } from 'pino';
import type { ClusterCoderConnection, CoderConnection, Workspace, WorkspaceSet } from '../../../../src/api/schema.ts';
import { ConnectionRuntime, type ConnectionRef } from '../../../../src/controller/connection/registry.ts';
import { ChildIndex } from '../../../../src/controller/workspaceset/child-index.ts';
import type { NewObject, ObjectRef } from '../../../../src/controller/kube-writer.ts';
import type { ChildObject } from '../../../../src/controller/workspaceset/child-object.ts';
import type { SetEvent } from '../../../../src/controller/workspaceset/set-events.ts';
import { SetReconciler, type SetReconcilerDeps, type SetWriter } from '../../../../src/controller/workspaceset/set-reconciler.ts';
import type { MemberReader, MemberUser } from '../../../../src/fleet/generators.ts';
import { ApiException } from '../../../../src/kube/api-request.ts';
import { coderConnection } from '../../../support/coder-connection.ts';

export const NS = 'team-a';
export const SET = 'devs';
export const SET_KEY = `${NS}/${SET}`;
export const SET_UID = 'set-uid-1';

export function workspaceSet(spec: Partial<WorkspaceSet['spec']> = {}, meta: Partial<WorkspaceSet['metadata']> = {}): WorkspaceSet {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind: 'WorkspaceSet',
    metadata: { name: SET, namespace: NS, uid: SET_UID, generation: 1, resourceVersion: '1', ...meta },
    spec: {
      generators: [{ users: { query: 'status:active' } }],
      template: { spec: { template: 'docker', ttl: '8h' } },
      syncPolicy: 'createUpdate',
      maxRemovals: 10,
      ...spec,
    },
  };
}

export const CONNECTION = coderConnection({}, { namespace: NS });

function apiError(code: number, message: string): ApiException<unknown> {
  return new ApiException(code, message, { message }, {});
}

export class SetWorld {
  readonly sets = new Map<string, WorkspaceSet>();
  readonly workspaces = new Map<string, Workspace>();
  readonly index = new ChildIndex();
  /** Every Kubernetes write, in order: `create:NAME`, `update:NAME`, `delete:NAME`, `status`. */
  readonly writes: string[] = [];
  readonly events: SetEvent[] = [];
  /** What each Event was about. */
  readonly eventsRegarding: ObjectRef[] = [];
  readonly statusPatches: Record<string, unknown>[] = [];
  /** Every delete as sent: the object named, with its uid precondition, and the resourceVersion precondition. */
  readonly deletes: Array<{ ref: ObjectRef & { uid: string }; resourceVersion: string | undefined }> = [];
  readonly connections = new Map<string, CoderConnection>([[`${NS}/default`, CONNECTION]]);
  readonly clusterConnections = new Map<string, ClusterCoderConnection>();
  namespaceLabels: Record<string, string> | undefined = {};
  /** Who the users generator finds; throw to make it fail. */
  users: () => MemberUser[] = () => [];
  groupMembers: () => MemberUser[] = () => [];
  /** Reads of the member reader, by kind. */
  reads = { users: 0, groups: 0 };
  /** Connections the reconciler asked for, by id. */
  readonly runtimesAsked: string[] = [];
  /** Fails the next n writes of a verb with this error. */
  failNext: { verb: 'create' | 'update' | 'delete'; n: number; code: number } | undefined;
  /** Writes the cache does not show yet (an informer lagging behind). */
  lagging = false;
  readonly #hidden = new Map<string, Workspace>();
  #rv = 100;
  #uid = 0;
  now = new Date('2026-12-07T12:00:00.000Z');
  reconciler: SetReconciler;
  readonly #deps: SetReconcilerDeps;

  constructor(set: WorkspaceSet | undefined = workspaceSet(), deps: Partial<SetReconcilerDeps> = {}) {
    if (set) this.sets.set(SET_KEY, set);
    const reader: MemberReader = {
      listUsers: async () => {
        this.reads.users++;
        return this.users();
      },
      listGroupMembers: async () => {
        this.reads.groups++;
        return this.groupMembers();
      },
    };
    this.#deps = {
      set: (key) => this.sets.get(key),
      workspace: (key) => this.workspaces.get(key),
      children: this.index,
      coderConnection: (key) => this.connections.get(key),
      clusterCoderConnection: (name) => this.clusterConnections.get(name),
      namespaceLabels: () => this.namespaceLabels,
      connections: {
        runtime: async (ref: ConnectionRef) => {
          this.runtimesAsked.push(ref.id);
          return new ConnectionRuntime({ ref, state: { ready: true, version: 'v2.30.0' }, now: () => this.now.getTime() });
        },
      },
      readerFor: () => reader,
      kube: this.kube,
      logger: pino({ level: 'silent' }),
      now: () => this.now,
      defaultRefreshMs: 60_000,
      deletionPolicy: 'Orphan',
      ...deps,
    };
    this.reconciler = new SetReconciler(this.#deps);
  }

  /** The operator restarts: everything the reconciler remembered is gone; the cluster stays. */
  restart(): void {
    this.reconciler = new SetReconciler(this.#deps);
  }

  set(): WorkspaceSet {
    return this.sets.get(SET_KEY)!;
  }

  /** Replaces the set's spec (a user's edit: the generation moves). */
  editSet(spec: Partial<WorkspaceSet['spec']>): void {
    this.reconciler.markDirty(SET_KEY);
    const s = this.set();
    this.sets.set(SET_KEY, {
      ...s,
      spec: { ...s.spec, ...spec },
      metadata: { ...s.metadata, generation: (s.metadata.generation ?? 1) + 1, resourceVersion: String(++this.#rv) },
    });
  }

  annotateSet(annotations: Record<string, string>): void {
    this.reconciler.markDirty(SET_KEY);
    const s = this.set();
    this.sets.set(SET_KEY, {
      ...s,
      metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, ...annotations }, resourceVersion: String(++this.#rv) },
    });
  }

  /** A Workspace made or edited by someone else (kubectl, another set). */
  putWorkspace(ws: Workspace): void {
    this.#store(ws);
  }

  /** Someone deletes a Workspace by hand. */
  deleteWorkspace(key: string): void {
    const ws = this.workspaces.get(key);
    if (!ws) return;
    this.workspaces.delete(key);
    this.#changed(this.index.forget(ws as never), true);
  }

  /** The set's children as the cache shows them, by name. */
  children(): Workspace[] {
    return this.index
      .childrenOf(SET_UID)
      .map((k) => this.workspaces.get(k)!)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** Children's Ready conditions, as their own reconciles would set them (a status-only change). */
  markChildrenReady(): void {
    for (const c of this.children())
      this.#store(
        {
          ...c,
          status: {
            observedGeneration: c.metadata.generation ?? 1,
            conditions: [
              { type: 'Ready', status: 'True', reason: 'Running', message: 'ok', lastTransitionTime: this.now.toISOString() },
              { type: 'Synced', status: 'True', reason: 'Created', message: 'ok', lastTransitionTime: this.now.toISOString() },
            ],
          },
        },
        false,
      );
  }

  /** The informer catches up with every write it had not shown. */
  flush(): void {
    for (const ws of this.#hidden.values()) this.#store(ws);
    this.#hidden.clear();
  }

  async pass(): Promise<Awaited<ReturnType<SetReconciler['reconcile']>>> {
    return this.reconciler.reconcile(SET_KEY);
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  /** What the informer does with a changed Workspace: the index, and the set woken as the controller wakes it. */
  #store(ws: Workspace, structural = true): void {
    const key = `${ws.metadata.namespace}/${ws.metadata.name}`;
    const before = this.workspaces.get(key);
    this.workspaces.set(key, ws);
    const previous = before ? this.index.forget(before as never) : undefined;
    const owner = this.index.observe(ws as never);
    if (previous && previous.uid !== owner?.uid) this.#changed(previous, true);
    this.#changed(owner, structural);
  }

  #changed(owner: { key: string } | undefined, structural: boolean): void {
    if (owner && structural) this.reconciler.markDirty(owner.key);
  }

  #fail(verb: 'create' | 'update' | 'delete'): void {
    const f = this.failNext;
    if (f && f.verb === verb && f.n > 0) {
      f.n--;
      throw apiError(f.code, `${verb} refused by the fake apiserver`);
    }
  }

  readonly kube: SetWriter = {
    create: async (object: NewObject) => {
      const child = object as ChildObject;
      this.writes.push(`create:${child.metadata.name}`);
      this.#fail('create');
      const key = `${child.metadata.namespace}/${child.metadata.name}`;
      if (this.workspaces.has(key) || this.#hidden.has(key)) throw apiError(409, `workspaces "${child.metadata.name}" already exists`);
      const ws = structuredClone({
        ...child,
        metadata: { ...child.metadata, uid: `child-uid-${++this.#uid}`, resourceVersion: String(++this.#rv), generation: 1 },
      }) as unknown as Workspace;
      if (this.lagging) this.#hidden.set(key, ws);
      else this.#store(ws);
    },
    patch: async ({ namespace, name }: ObjectRef, patch: Record<string, unknown>) => {
      this.writes.push(`update:${name}`);
      this.#fail('update');
      const key = `${namespace}/${name}`;
      const ws = this.workspaces.get(key);
      if (!ws) throw apiError(404, 'not found');
      const meta = patch.metadata as { resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      if (meta?.resourceVersion !== undefined && meta.resourceVersion !== ws.metadata.resourceVersion)
        throw apiError(409, 'the object has been modified');
      const spec = applyMerge(ws.spec as Record<string, unknown>, (patch.spec ?? {}) as Record<string, unknown>) as Workspace['spec'];
      const changed = JSON.stringify(spec) !== JSON.stringify(ws.spec);
      this.#store({
        ...ws,
        metadata: {
          ...ws.metadata,
          labels: { ...ws.metadata.labels, ...meta?.labels },
          annotations: { ...ws.metadata.annotations, ...meta?.annotations },
          resourceVersion: String(++this.#rv),
          generation: (ws.metadata.generation ?? 1) + (changed ? 1 : 0),
        },
        spec,
      });
    },
    delete: async (ref: ObjectRef & { uid: string }, resourceVersion?: string) => {
      const { namespace, name, uid } = ref;
      this.writes.push(`delete:${name}`);
      this.deletes.push({ ref, resourceVersion });
      this.#fail('delete');
      const key = `${namespace}/${name}`;
      const ws = this.workspaces.get(key);
      if (!ws) throw apiError(404, 'not found');
      if (ws.metadata.uid !== uid) throw apiError(409, 'Precondition failed: UID in precondition does not match');
      if (resourceVersion !== undefined && ws.metadata.resourceVersion !== resourceVersion)
        throw apiError(409, 'Precondition failed: ResourceVersion in precondition does not match');
      this.workspaces.delete(key);
      this.#changed(this.index.forget(ws as never), true);
    },
    controllerOf: async ({ namespace, name }: ObjectRef) => {
      const ws = this.workspaces.get(`${namespace}/${name}`) ?? this.#hidden.get(`${namespace}/${name}`);
      if (!ws) return undefined;
      const refs = (ws.metadata as { ownerReferences?: Array<{ uid: string; controller?: boolean }> }).ownerReferences;
      return { uid: ws.metadata.uid ?? '', controllerUid: refs?.find((r) => r.controller)?.uid };
    },
    patchStatus: async (ref: ObjectRef, patch: Record<string, unknown>) => {
      this.writes.push('status');
      this.statusPatches.push(patch);
      const key = `${ref.namespace}/${ref.name}`;
      const s = this.sets.get(key);
      if (!s) throw apiError(404, 'not found');
      const status = applyMerge((s.status ?? {}) as Record<string, unknown>, patch) as WorkspaceSet['status'];
      this.sets.set(key, { ...s, status, metadata: { ...s.metadata, resourceVersion: String(++this.#rv) } } as WorkspaceSet);
    },
    event: async ({ regarding, ...event }) => {
      this.events.push(event);
      this.eventsRegarding.push(regarding);
    },
  };
}

export function users(...names: string[]): MemberUser[] {
  return names.map((username) => ({ username, id: `id-${username}` }));
}

/** RFC 7386 merge patch. */
export function applyMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]))
      out[k] = applyMerge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

export function condition(set: WorkspaceSet, type: string) {
  return set.status?.conditions?.find((c) => c.type === type);
}
