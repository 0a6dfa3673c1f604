// The file-side twins of the CEL rules on spec.running and spec.version:
// wishes Coder's own schedule would undo are refused before any call.
import { describe, expect, it } from 'vitest';
import { validateWorkspace } from '../../../src/api/validate.ts';
import { workspaceManifest } from '../../support/workspace.ts';

const doc = (spec: Record<string, unknown>) => workspaceManifest('dev', { owner: 'alice', template: 'docker', ...spec });

const UUID = '0b5a9f1c-4a5e-4f3b-9c8d-2e7f6a1b3c4d';

describe('spec.running and spec.version', () => {
  it.each<[string, Record<string, unknown>]>([
    ['running: true alone', { running: true }],
    ['running: true with ttl 0s', { running: true, ttl: '0s' }],
    ['running: true with ttl 0h0m', { running: true, ttl: '0h0m' }],
    ['running: false with autostart off', { running: false, autostart: { enabled: false } }],
    ['running: false, dormant', { running: false, dormant: true }],
    ['version Active', { version: { policy: 'Active' } }],
    ['version Pinned by name', { version: { policy: 'Pinned', name: 'v2' } }],
    ['version Pinned by id', { version: { policy: 'Pinned', id: UUID } }],
    ['observe only', { managementPolicies: ['Observe'] }],
    ['Pinned with automaticUpdates never', { version: { policy: 'Pinned', name: 'v2' }, automaticUpdates: 'never' }],
    ['Active with automaticUpdates always', { version: { policy: 'Active' }, automaticUpdates: 'always' }],
  ])('accepts %s', (_name, spec) => {
    expect(validateWorkspace(doc(spec))).toMatchObject({ ok: true });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'running: false with an autostart schedule',
      { running: false, autostart: { schedule: '0 9 * * 1-5' } },
      'spec.running',
      /conflicts with an autostart schedule/,
    ],
    ['running: true while dormant', { running: true, dormant: true }, 'spec.running', /conflicts with dormant: true/],
    ['running: true with a TTL', { running: true, ttl: '8h' }, 'spec.running', /conflicts with a non-zero ttl/],
    ['Active with a name', { version: { policy: 'Active', name: 'v2' } }, 'spec.version', /takes no name or id/],
    ['Pinned with neither', { version: { policy: 'Pinned' } }, 'spec.version', /exactly one of name and id/],
    ['Pinned with both', { version: { policy: 'Pinned', name: 'v2', id: UUID } }, 'spec.version', /exactly one of name and id/],
    [
      'Pinned with automaticUpdates always (issue 18 item 7)',
      { version: { policy: 'Pinned', id: UUID }, automaticUpdates: 'always' },
      'spec.automaticUpdates',
      /^version policy Pinned conflicts with automaticUpdates: always .*; drop automaticUpdates: always \(or set it to never\), or drop the Pinned version$/,
    ],
    ['an unknown policy', { version: { policy: 'Latest' } }, 'spec.version.policy', /./],
    ['an unknown management policy', { managementPolicies: ['Delete'] }, 'spec.managementPolicies[0]', /./],
  ])('refuses %s', (_name, spec, path, message) => {
    const result = validateWorkspace(doc(spec));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.find((e) => e.path === path)?.message).toMatch(message);
  });
});
