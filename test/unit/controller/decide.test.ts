import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from '../../../src/controller/workspace/decide.ts';

const base: DecisionInput = {
  deleting: false,
  hasFinalizer: true,
  suspended: false,
  invalid: [],
  policy: 'Orphan',
  connection: { ready: true },
  tenancy: { allowed: true },
};
const bad = [{ path: 'spec.ttl', message: 'not a duration' }];

const rows: Array<[string, Partial<DecisionInput>, string]> = [
  ['in sync path', {}, 'sync'],
  ['Delete: needs the finalizer before the first create', { hasFinalizer: false, policy: 'Delete' }, 'addFinalizer'],
  ['Orphan: no finalizer needed, straight to sync', { hasFinalizer: false, policy: 'Orphan' }, 'sync'],
  ['Orphan with a finalizer left from an earlier Delete: sync, keep it', { hasFinalizer: true, policy: 'Orphan' }, 'sync'],
  [
    'Delete, no finalizer, connection unchecked: look first, add it after',
    { hasFinalizer: false, policy: 'Delete', connection: 'unchecked' },
    'checkConnection',
  ],
  [
    'Delete, no finalizer, suspended: nothing is created, none added',
    { hasFinalizer: false, policy: 'Delete', suspended: true },
    'suspended',
  ],
  ['deleting with Orphan and no finalizer: done', { deleting: true, hasFinalizer: false, policy: 'Orphan' }, 'done'],
  ['suspended: no Coder call', { suspended: true }, 'suspended'],
  ['suspended beats invalid', { suspended: true, invalid: bad }, 'suspended'],
  ['invalid spec', { invalid: bad }, 'invalid'],
  ['invalid beats connection problems', { invalid: bad, connection: { missing: 'no connection' } }, 'invalid'],
  ['forbidden by tenancy', { tenancy: { allowed: false, message: 'no rule' } }, 'forbidden'],
  [
    'forbidden beats connection not ready',
    { tenancy: { allowed: false, message: 'no rule' }, connection: { ready: false, message: '401' } },
    'forbidden',
  ],
  ['connection missing', { connection: { missing: 'CoderConnection "default" not found' } }, 'connectionNotReady'],
  ['connection not ready', { connection: { ready: false, message: '401' } }, 'connectionNotReady'],
  ['connection not looked at yet', { connection: 'unchecked' }, 'checkConnection'],
  [
    'no finalizer and connection not ready: no finalizer added',
    { hasFinalizer: false, policy: 'Delete', connection: { ready: false, message: '401' } },
    'connectionNotReady',
  ],
  ['deleting with Orphan: release', { deleting: true, policy: 'Orphan' }, 'release'],
  [
    'deleting with Orphan, connection broken: still release',
    { deleting: true, policy: 'Orphan', connection: { ready: false, message: '401' } },
    'release',
  ],
  ['deleting with Delete', { deleting: true, policy: 'Delete' }, 'delete'],
  ['deleting with Delete beats suspend', { deleting: true, policy: 'Delete', suspended: true }, 'delete'],
  ['deleting with Delete, connection unchecked', { deleting: true, policy: 'Delete', connection: 'unchecked' }, 'checkConnection'],
  [
    'deleting with Delete, connection not ready: wait',
    { deleting: true, policy: 'Delete', connection: { ready: false, message: '401' } },
    'connectionNotReady',
  ],
  [
    'deleting with Delete, forbidden: no Coder call',
    { deleting: true, policy: 'Delete', tenancy: { allowed: false, message: 'no rule' } },
    'forbidden',
  ],
  ['deleting with Delete, spec invalid: release', { deleting: true, policy: 'Delete', invalid: bad }, 'release'],
  ['deleted and our finalizer already gone', { deleting: true, hasFinalizer: false, policy: 'Delete' }, 'done'],
];

describe('decide', () => {
  it.each(rows)('%s', (_name, input, kind) => {
    expect(decide({ ...base, ...input }).kind).toBe(kind);
  });
});
