// The Dockerfile's promises, checked where they are written (the e2e tier
// checks the built image): a base pinned by digest that CI can replace by name,
// the build checks that keep the simulator and dev dependencies out, a numeric
// non-root user, and a build context that holds only what the build copies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

describe('Dockerfile', () => {
  it('pins its public base by digest, behind one build argument that every stage uses', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=docker\.io\/library\/node:24-slim@sha256:[0-9a-f]{64}$/m);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    const arg = '$' + '{NODE_IMAGE}'; // the Dockerfile's substitution, not a template literal
    expect(froms).toEqual([arg, arg]);
  });

  it('fails the build if the simulator, the node devDependency or typescript reach the image', () => {
    for (const check of [
      'test ! -e dist/coder-sim',
      'test ! -e node_modules/node',
      'test ! -e node_modules/typescript',
      'npm prune --omit=dev',
    ])
      expect(dockerfile).toContain(check);
  });

  it('runs as the numeric non-root user 65532 (runAsNonRoot can verify it) with the chart-compatible entrypoint', () => {
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users).toEqual(['65532:65532']);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", .*"dist\/cli\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["run"\]$/m);
  });

  it('the CA build argument belongs to the build stage only, so it never reaches the runtime image', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(dockerfile).toContain('ARG NODE_EXTRA_CA_CERTS');
  });

  it('.dockerignore lets in only what the build stage copies, never the simulator', () => {
    expect(dockerignore.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!src/',
      '!src/**',
      'src/coder-sim/',
    ]);
  });
});
