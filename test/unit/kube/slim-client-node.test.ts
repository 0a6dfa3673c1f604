// `cwo run` loads client-node without its generated models and API classes
// (src/kube/slim-client-node.ts). A child process loads the operator's whole
// module graph that way, as `run` does, and reports every module it read: the
// graph must link (every value the operator imports from the package exists
// in the slim entry) and none of the generated code may be among them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ObjectSerializer } from '../../../src/kube/client-node-serializer-entry.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const CHILD = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
const { useSlimClientNode } = await import('./src/kube/slim-client-node.ts');
useSlimClientNode();
await import('./src/cli/run-operator.ts');
console.log(JSON.stringify(loaded));
`;

async function modulesLoadedByRun(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

const clientNodeDist = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node'));

describe('the slim client-node of cwo run', () => {
  it('loads the operator with none of the generated models or API classes', { timeout: 120_000 }, async () => {
    const loaded = await modulesLoadedByRun();
    const ofPackage = loaded.filter((url) => url.includes('/@kubernetes/client-node/dist/')).map((url) => url.split('/dist/')[1]);
    // What the operator does use, each from its own file.
    expect(ofPackage).toEqual(expect.arrayContaining(['config.js', 'watch.js', 'cache.js', 'gen/http/http.js']));
    const generated = ofPackage.filter(
      (file) =>
        file === 'index.js' ||
        file === 'gen/index.js' ||
        file === 'serializer.js' ||
        /^gen\/(models|types)\//.test(file ?? '') ||
        /^gen\/apis\/.*Api\.js$/.test(file ?? ''),
    );
    expect(generated).toEqual([]);
    expect(loaded.filter((url) => url.includes('/src/kube/client-node-')).map((url) => url.split('/src/kube/')[1])).toEqual(
      expect.arrayContaining(['client-node-entry.ts', 'client-node-gen-entry.ts', 'client-node-serializer-entry.ts']),
    );
  });

  it("stands in for ListWatch's serializer only where cache.js uses it: selectors, as strings", () => {
    const cache = readFileSync(join(clientNodeDist, 'cache.js'), 'utf8');
    const uses = [...cache.matchAll(/ObjectSerializer\.(\w+)\(([^)]*)\)/g)].map((m) => `${m[1]}(${m[2]})`);
    expect(uses).toEqual(["serialize(this.labelSelector, 'string')", "serialize(this.fieldSelector, 'string')"]);
    expect(ObjectSerializer.serialize('app=x', 'string')).toBe('app=x');
    expect(() => ObjectSerializer.serialize({ a: 1 }, 'V1ObjectMeta')).toThrow(/knows only strings/);
  });

  it("stands in for config.js's generated code only with the two names it imports", () => {
    const config = readFileSync(join(clientNodeDist, 'config.js'), 'utf8');
    const fromGen = /import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/.exec(config)?.[1];
    expect(
      fromGen
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ).toEqual(['createConfiguration', 'ServerConfiguration']);
  });
});
