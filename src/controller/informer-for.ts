// Builds the informer for a kind in the operator's scope: per namespace for a
// namespaced kind when --namespaces limits it, cluster-wide otherwise
// (cluster-scoped kinds always are). Cached objects are trimmed (./trim.ts).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ResilientInformer, type InformerOptions } from '../kube/informer.ts';
import { listerFor, type Selectors } from '../kube/listers.ts';
import { MultiNamespaceInformer } from '../kube/multi-namespace-informer.ts';
import { resourcePath, type ResourceType } from '../kube/resource-type.ts';
import { trimForCache } from './trim.ts';

interface InformerForOptions
  extends Selectors,
    Pick<InformerOptions<KubernetesObject>, 'quietRelistMs' | 'listTimeoutMs' | 'restartBackoff' | 'clock' | 'random'> {
  /** --namespaces; undefined or empty: all namespaces. */
  namespaces?: readonly string[];
  logger: Logger;
  /** What the cache keeps of each object. Default trimForCache (./trim.ts). */
  trim?: <O extends KubernetesObject>(obj: O) => O;
}

export function informerFor<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  type: ResourceType,
  opts: InformerForOptions,
): MultiNamespaceInformer<T> {
  const { namespaces, trim = trimForCache, ...rest } = opts;
  return new MultiNamespaceInformer<T>(
    type.namespaced ? namespaces : undefined,
    (namespace) =>
      new ResilientInformer<T>({
        ...rest,
        kubeConfig,
        path: resourcePath(type, namespace),
        // The operator reads little of each object's metadata; caching all of it cost ~14 KB per
        // Workspace. Trimmed page by page while listing, and each watch event as it comes.
        list: listerFor<T>(kubeConfig, type, namespace, trim),
        trim,
      }),
  );
}
