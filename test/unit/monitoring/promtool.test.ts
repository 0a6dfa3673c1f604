// The chart's alerts, checked and unit-tested by Prometheus' own promtool
// (Debian's `prometheus` package; .ci/run installs it): every alert fires on
// the series it is written for, at the time it should, and not on a near miss.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requiredOnCi } from '../../support/real-part.ts';

const ROOT = join(import.meta.dirname, '../../..');
const RULES = 'helm/coder-workspace-operator/files/prometheus-rules.yaml';
const TESTS = 'test/monitoring/prometheus-rules.test.yaml';
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const present = promtool.status === 0;
requiredOnCi('promtool', present, 'apt-get install prometheus (Debian) puts promtool on the PATH');

function run(...args: string[]) {
  return spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
}

type Rule = { alert?: string; annotations?: Record<string, string> };
const groups: { rules: Rule[] }[] = parse(readFileSync(join(ROOT, RULES), 'utf8')).groups;
const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert);

describe.runIf(present)('promtool', () => {
  it('check rules: the rule file parses and every expression is valid PromQL', () => {
    const ran = run('check', 'rules', RULES);
    expect(ran.stdout + ran.stderr).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(ran.status).toBe(0);
  });

  it('test rules: every alert test passes', () => {
    const ran = run('test', 'rules', TESTS);
    expect(ran.stdout + ran.stderr, ran.stdout + ran.stderr).toContain('SUCCESS');
    expect(ran.status).toBe(0);
  });
});

describe('alerts', () => {
  const tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] = parse(
    readFileSync(join(ROOT, TESTS), 'utf8'),
  ).tests;
  const cases = tests.flatMap((t) => t.alert_rule_test ?? []);

  it.each(alerts.map((a) => a.alert!))('%s has a promtool test where it fires and one where it does not', (name) => {
    expect(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0)).toBe(true);
  });

  it('every runbook_url points at a section of docs/troubleshooting.md named after the alert', () => {
    const doc = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
    // GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes.
    const anchors = new Set(
      [...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const a of alerts) {
      const url = a.annotations?.runbook_url ?? '';
      expect(url, a.alert).toBe(
        `https://github.com/coderops/coder-workspace-operator/blob/main/docs/troubleshooting.md#${a.alert!.toLowerCase()}`,
      );
      expect(anchors.has(a.alert!.toLowerCase()), `docs/troubleshooting.md has a "### ${a.alert}" section`).toBe(true);
    }
  });
});
