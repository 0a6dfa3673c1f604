// The small lies the demo told: a dormant workspace shown as running and
// Ready, and a rollout summary of 1 for 3 workspaces without saying that
// only 1 manages its version or parameters.
import { describe, expect, it } from 'vitest';
import { rolloutSummary } from '../../../src/cli/rollout-render.ts';
import { renderStatusTable } from '../../../src/cli/status-table.ts';
import type { WorkspacePlan } from '../../../src/engine/types.ts';
import type { PlanReport } from '../../../src/gitops/run.ts';
import { desired, observed } from '../engine/fixtures.ts';
import { VersionNames } from '../../../src/engine/version-names.ts';

function plan(key: string, extra: Partial<WorkspacePlan> = {}): WorkspacePlan {
  return { key, desired: desired({ key }), observed: observed(), actions: [], blocked: [], drift: [], ...extra };
}

describe('status table', () => {
  it('a dormant workspace is shown dormant and not ready, whatever its last build', () => {
    const ready = { type: 'Ready', status: 'True' as const, reason: 'Ready', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const report: PlanReport = {
      versions: new VersionNames({ templateVersion: () => Promise.reject(new Error('no version is read here')) }),
      plans: [plan('team-b/carol-scratch', { observed: observed({ dormant: true }) }), plan('team-a/alice-dev')],
      prunes: [],
      statuses: new Map([
        ['team-b/carol-scratch', { conditions: [ready] }],
        ['team-a/alice-dev', { conditions: [ready] }],
      ]),
      adoptions: new Set(),
    };
    const [, carol, alice] = renderStatusTable(report).split('\n');
    expect(carol).toMatch(/dormant \(start\/running\)\s+False \(Dormant\)/);
    expect(alice).toMatch(/start\/running\s+True \(Ready\)/);
  });
});

describe('rollout summary', () => {
  it('says how many of the workspaces it counts', () => {
    const rollout = { state: 'UpToDate' as const, message: '' };
    const plans = [plan('a/1', { lifecycle: { rollout } } as Partial<WorkspacePlan>), plan('a/2'), plan('a/3')];
    expect(rolloutSummary(plans, 'apply')).toMatch(/^Rollout \(1 of 3 workspace\(s\) manage their version or parameters\): 1 up to date,/);
  });
});
