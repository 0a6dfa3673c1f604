// What client-node's ListWatch (dist/cache.js) uses of its ObjectSerializer:
// serialize(selector, 'string'), which returns the string as it is. The real
// one (dist/serializer.js) imports every generated model class; `cwo run`
// resolves cache.js's import to this file instead (./slim-client-node.ts).
// A unit test holds cache.js to that one use.
export const ObjectSerializer = {
  serialize(value: unknown, type: string): unknown {
    if (type !== 'string') throw new Error(`ListWatch serialised a ${type}; src/kube/client-node-serializer-entry.ts knows only strings`);
    return value;
  },
};
