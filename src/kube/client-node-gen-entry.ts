// What client-node's KubeConfig (dist/config.js) imports from its generated
// code (`./gen/index.js`): two functions of makeApiClient, which the operator
// never calls. gen/index.js itself re-exports every generated model and API;
// `cwo run` resolves config.js's import to this file instead
// (./slim-client-node.ts).
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
