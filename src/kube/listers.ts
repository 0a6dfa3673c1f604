// List calls for informers: one function shape for custom resources and the
// core kinds, paginated so a large list never arrives as one giant response.
// Pages of one list share a snapshot (the continue token pins it), so the
// resourceVersion the watch resumes from covers every page.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { kubeRequest } from './api-request.ts';
import { resourcePath, type ResourceType } from './resource-type.ts';

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export type ListFn<T extends KubernetesObject> = (selectors: Selectors) => Promise<KubernetesListObject<T>>;

interface PageParams extends Selectors {
  limit: number;
  _continue?: string;
}

type ListPage<T extends KubernetesObject> = (params: PageParams) => Promise<KubernetesListObject<T>>;

const PAGE_SIZE = 500;

/**
 * Follows continue tokens; the result carries the snapshot's resourceVersion.
 * trim (e.g. src/controller/trim.ts) shrinks each page's objects as the page arrives, so a large
 * list never holds more than one page of full objects (managedFields and all):
 * that transient was most of the operator's peak memory at start-up.
 */
export async function listAllPages<T extends KubernetesObject>(
  page: ListPage<T>,
  selectors: Selectors,
  pageSize = PAGE_SIZE,
  trim?: (item: T) => void,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let token: string | undefined;
  let resourceVersion = '';
  do {
    const list = await page({ ...selectors, limit: pageSize, ...(token ? { _continue: token } : {}) });
    for (const item of list.items ?? []) {
      trim?.(item);
      items.push(item);
    }
    resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
    token = continueToken(list);
  } while (token);
  return { items, metadata: { resourceVersion } };
}

/** Raw JSON says continue; client-node's generated list types call it _continue. */
function continueToken(list: KubernetesListObject<KubernetesObject>): string | undefined {
  const meta = list.metadata as { _continue?: string; continue?: string } | undefined;
  return meta?._continue || meta?.continue || undefined;
}

/** The list function for a kind, cluster-wide or in one namespace. */
export function listerFor<T extends KubernetesObject>(
  kc: KubeConfig,
  type: ResourceType,
  namespace?: string,
  trim?: (item: T) => void,
): ListFn<T> {
  if (namespace !== undefined && !type.namespaced) throw new Error(`${type.plural} is cluster-scoped; it has no namespace`);
  return (selectors) => listAllPages(pageFor<T>(kc, type, namespace), selectors, PAGE_SIZE, trim);
}

/**
 * One page as the apiserver sends it, custom resources and core kinds alike:
 * raw JSON, not client-node's generated models (../kube/api-request.ts).
 */
function pageFor<T extends KubernetesObject>(kc: KubeConfig, type: ResourceType, namespace?: string): ListPage<T> {
  const path = resourcePath(type, namespace);
  return ({ _continue, ...params }) =>
    kubeRequest<KubernetesListObject<T>>(kc, { method: 'GET', path, query: { ...params, continue: _continue } });
}
