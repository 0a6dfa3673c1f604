// README.md is the front page: its first two commands are the ones a visitor
// runs, its test commands are the ones CI runs, and it stays short enough to
// read (the rest lives in docs/, one click away).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ciRun = readFileSync(join(ROOT, '.ci/run'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The shell lines of the fenced sh blocks under a heading, comments and blank lines dropped. */
function commandsUnder(heading: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`README.md has no "## ${heading}" section`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== ''),
  );
}

/** The npm commands a script runs, in order, with what it passes them dropped (comments and echoes skipped). */
function npmCommands(script: string): string[] {
  const lines = script.split('\n').filter((line) => !/^\s*(#|echo\b)/.test(line));
  return lines.flatMap((line) => [...line.matchAll(/\bnpm (?:test|run [\w:-]+|ci)\b/g)].map((m) => m[0]));
}

describe('README.md', () => {
  it('opens with the demo and the test suite, each after npm ci', () => {
    const first = /^# .*\n\n```sh\n(.*)\n(.*)\n```/.exec(readme);
    expect(first?.[1]).toMatch(/^npm ci && npm run demo\s/);
    expect(first?.[2]).toMatch(/^npm ci && npm test\s/);
    expect(scripts['demo']).toBeDefined();
    expect(scripts['test']).toBe('vitest run');
  });

  it('gives the test commands .ci/run runs, in its order', () => {
    const readmeTiers = npmCommands(commandsUnder('Tests').join('\n'));
    const ciTiers = npmCommands(ciRun).filter((c) => c !== 'npm ci' && c !== 'npm run lint');
    expect(readmeTiers).toEqual(['npm test', 'npm run test:e2e', 'npm run test:coderd']);
    expect(ciTiers).toEqual(readmeTiers);
    for (const c of readmeTiers.filter((c) => c.startsWith('npm run '))) expect(scripts[c.slice('npm run '.length)]).toBeDefined();
  });

  it('runs the real-coderd tier once per pinned version, as .ci/run does', () => {
    const lines = commandsUnder('Tests');
    expect(lines).toContain('source test/coderd/versions.env');
    expect(lines).toContain('for v in $CODERD_VERSIONS; do CWO_CODERD_VERSION=$v npm run test:coderd; done');
    expect(ciRun).toMatch(/source test\/coderd\/versions\.env/);
    expect(ciRun).toMatch(/for v in \$CODERD_VERSIONS; do[\s\S]*?CWO_CODERD_VERSION=\$v npm run test:coderd/);
  });

  it('stays short: what it is, the two doors, an example each, links', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(210);
    for (const heading of ['Door 1: the CLI', 'Door 2: the operator', 'Documentation', 'Tests'])
      expect(readme).toContain(`## ${heading}\n`);
  });
});
