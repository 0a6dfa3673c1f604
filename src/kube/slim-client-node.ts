// Loads @kubernetes/client-node without its generated models and APIs.
//
// Why: the package's index (and even its dist/config.js, where KubeConfig
// lives) statically imports its generated code, ~1,000 model classes and ~60
// API classes, 61 MB of JavaScript. Loading it took the operator from 43 MB to
// ~120 MB of RSS before the first object was read (docs/performance.md). The
// operator uses KubeConfig (kubeconfig, in-cluster and exec/file/OIDC auth),
// Watch and ListWatch, and sends its own requests over client-node's transport
// (./api-request.ts), so none of the generated classes ever run.
//
// How: a module resolve hook (node:module registerHooks, in-thread) that
// answers three imports with small files of ours, for `cwo run` only:
//   - `@kubernetes/client-node` from our code: ./client-node-entry.ts, the
//     values the operator uses, each from its own dist/ file;
//   - `./gen/index.js` from dist/config.js: ./client-node-gen-entry.ts, the two
//     functions config.js takes from it;
//   - `./serializer.js` from dist/cache.js: ./client-node-serializer-entry.ts.
// A name the operator imports that the entry does not export fails at start-up
// (ESM linking), never later; test/unit/kube/slim-client-node.test.ts loads the
// operator's whole module graph this way and checks what was read.
// client-node is pinned to an exact version in package.json; an upgrade must
// run that test.
import { registerHooks } from 'node:module';
import { extname } from 'node:path';

// '.ts' when running from src/ (type stripping), '.js' from dist/.
const EXT = extname(new URL(import.meta.url).pathname);
const ours = (name: string) => new URL(`./${name}${EXT}`, import.meta.url).href;
const PACKAGE_DIST = '/node_modules/@kubernetes/client-node/dist/';

interface Redirect {
  specifier: string;
  /** The importing module's URL ends with this; undefined: any importer. */
  importer?: string;
  to: string;
}

const SLIM_CLIENT_NODE_REDIRECTS: readonly Redirect[] = [
  { specifier: '@kubernetes/client-node', to: ours('client-node-entry') },
  { specifier: './gen/index.js', importer: `${PACKAGE_DIST}config.js`, to: ours('client-node-gen-entry') },
  { specifier: './serializer.js', importer: `${PACKAGE_DIST}cache.js`, to: ours('client-node-serializer-entry') },
];

let registered = false;

/** Call before the first import of anything that imports client-node (a dynamic import after this call). */
export function useSlimClientNode(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const redirect = SLIM_CLIENT_NODE_REDIRECTS.find(
        (r) => r.specifier === specifier && (r.importer === undefined || context.parentURL?.endsWith(r.importer)),
      );
      return redirect ? { url: redirect.to, shortCircuit: true } : nextResolve(specifier, context);
    },
  });
}
