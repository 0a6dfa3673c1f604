// The version `cwo --version` prints: the package's own, read from its
// package.json (two directories up from both src/cli and dist/cli).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export const PACKAGE_VERSION = readVersion();
