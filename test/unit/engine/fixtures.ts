// Builders for engine tests: a desired declaration and an observed workspace
// that match each other, to be varied one field at a time.
import type { DesiredWorkspace, ObservedWorkspace } from '../../../src/engine/types.ts';
import { overridden, type Overrides } from '../../support/overrides.ts';

export const HOUR = 3_600_000;

export function desired(overrides: Overrides<DesiredWorkspace> = {}): DesiredWorkspace {
  return overridden<DesiredWorkspace>(
    {
      key: 'team-a/alice-dev',
      source: { file: 'workspaces.yaml', document: 0 },
      owner: 'alice',
      name: 'alice-dev',
      template: 'docker',
      parameters: [],
      deletionPolicy: 'Orphan',
      specDigest: 'spec-1',
    },
    overrides,
  );
}

export function observed(overrides: Overrides<ObservedWorkspace> = {}): ObservedWorkspace {
  return overridden<ObservedWorkspace>(
    {
      id: '11111111-1111-4111-8111-111111111111',
      name: 'alice-dev',
      ownerId: '22222222-2222-4222-8222-222222222222',
      ownerName: 'alice',
      organizationId: '33333333-3333-4333-8333-333333333333',
      organizationName: 'coder',
      templateId: '44444444-4444-4444-8444-444444444444',
      templateName: 'docker',
      autostartSchedule: null,
      ttlMs: null,
      dormant: false,
      favorite: false,
      automaticUpdates: 'never',
      allowRenames: true,
      latestBuild: {
        id: '55555555-5555-4555-8555-555555555555',
        number: 1,
        transition: 'start',
        status: 'running',
        templateVersionId: '77777777-7777-4777-8777-777777777777',
      },
      activeVersionId: '77777777-7777-4777-8777-777777777777',
      outdated: false,
      nextStartAt: null,
      createdAt: '2026-11-01T00:00:00.000Z',
    },
    overrides,
  );
}
