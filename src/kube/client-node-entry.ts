// What the operator uses of @kubernetes/client-node at run time, and nothing
// else: `cwo run` resolves the package's name to this file
// (./slim-client-node.ts), so the package's own index, which loads all ~1,000
// generated model classes and ~60 generated API classes, is never read.
// Add an export here when the operator starts to use another value of the
// package (types are erased and need nothing here).
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export { bufferFromFileOrString, KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
