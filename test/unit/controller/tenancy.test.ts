import { describe, expect, it } from 'vitest';
import { checkTenancy, type OwnerRule, type TenancyInput } from '../../../src/controller/connection/tenancy.ts';

const cluster = (allow: OwnerRule[] | undefined): TenancyInput['connection'] => ({ kind: 'ClusterCoderConnection', name: 'shared', allow });

interface Row {
  name: string;
  input: TenancyInput;
  allowed: boolean;
  /** A fragment the deny message must contain (it says which rule is missing). */
  says?: string;
}

const rows: Row[] = [
  {
    name: 'CoderConnection in the same namespace',
    input: {
      connection: { kind: 'CoderConnection', namespace: 'team-a', name: 'default' },
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: true,
  },
  {
    name: 'CoderConnection of another namespace',
    input: {
      connection: { kind: 'CoderConnection', namespace: 'team-b', name: 'default' },
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: false,
    says: 'serves only namespace "team-b"',
  },
  {
    name: 'cluster connection without rules: default deny',
    input: { connection: cluster(undefined), workspaceNamespace: 'team-a', namespaceLabels: {}, owner: 'alice' },
    allowed: false,
    says: 'default deny',
  },
  {
    name: 'cluster connection with an empty rule list',
    input: { connection: cluster([]), workspaceNamespace: 'team-a', namespaceLabels: {}, owner: 'alice' },
    allowed: false,
    says: 'no spec.allow rules',
  },
  {
    name: 'matchNames admits the namespace, owner listed',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-a'] }, owners: ['alice'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: true,
  },
  {
    name: 'owner compared ignoring case',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-a'] }, owners: ['Alice'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: true,
  },
  {
    name: 'matchNames does not admit the namespace',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-b'] }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: false,
    says: 'selects namespace "team-a"',
  },
  {
    name: 'namespace admitted, owner not listed',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-a'] }, owners: ['bob', 'carol'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: false,
    says: 'do not list owner "alice" (they allow: bob, carol)',
  },
  {
    name: '"*" allows any owner',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-a'] }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'mallory',
    },
    allowed: true,
  },
  {
    name: 'matchLabels admits a labelled namespace',
    input: {
      connection: cluster([{ namespaceSelector: { matchLabels: { tenant: 'a' } }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: { tenant: 'a', other: 'x' },
      owner: 'alice',
    },
    allowed: true,
  },
  {
    name: 'matchLabels with a different value',
    input: {
      connection: cluster([{ namespaceSelector: { matchLabels: { tenant: 'a' } }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: { tenant: 'b' },
      owner: 'alice',
    },
    allowed: false,
    says: 'namespaceSelector',
  },
  {
    name: 'matchLabels when the labels are not known yet: deny',
    input: {
      connection: cluster([{ namespaceSelector: { matchLabels: { tenant: 'a' } }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: undefined,
      owner: 'alice',
    },
    allowed: false,
    says: 'not known yet',
  },
  {
    name: 'matchNames and matchLabels must both match',
    input: {
      connection: cluster([{ namespaceSelector: { matchNames: ['team-a'], matchLabels: { tenant: 'a' } }, owners: ['*'] }]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: false,
  },
  {
    name: 'a rule without a selector admits every namespace',
    input: { connection: cluster([{ owners: ['alice'] }]), workspaceNamespace: 'anything', namespaceLabels: {}, owner: 'alice' },
    allowed: true,
  },
  {
    name: 'owners of a rule for another namespace do not count',
    input: {
      connection: cluster([
        { namespaceSelector: { matchNames: ['team-b'] }, owners: ['alice'] },
        { namespaceSelector: { matchNames: ['team-a'] }, owners: ['bob'] },
      ]),
      workspaceNamespace: 'team-a',
      namespaceLabels: {},
      owner: 'alice',
    },
    allowed: false,
    says: 'they allow: bob',
  },
  {
    name: 'any one admitting rule is enough',
    input: {
      connection: cluster([
        { namespaceSelector: { matchNames: ['team-a'] }, owners: ['bob'] },
        { namespaceSelector: { matchLabels: { tenant: 'a' } }, owners: ['alice'] },
      ]),
      workspaceNamespace: 'team-a',
      namespaceLabels: { tenant: 'a' },
      owner: 'alice',
    },
    allowed: true,
  },
];

describe('checkTenancy', () => {
  it.each(rows)('$name', ({ input, allowed, says }) => {
    const verdict = checkTenancy(input);
    expect(verdict.allowed).toBe(allowed);
    if (!verdict.allowed && says) expect(verdict.message).toContain(says);
  });
});
