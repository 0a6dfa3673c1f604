import { describe, expect, it } from 'vitest';
import {
  validateClusterCoderConnection,
  validateCoderConnection,
  validateWorkspace,
  workspaceNameError,
} from '../../../src/api/validate.ts';
import { workspaceManifest } from '../../support/workspace.ts';

type Doc = Record<string, unknown>;

/** Metadata is replaced whole: some cases send metadata no builder makes (no namespace, fields we do not read). */
function workspace(spec: Doc, metadata: Doc = { name: 'dev', namespace: 'team-a' }): Doc {
  return { ...workspaceManifest('dev', { owner: 'alice', template: 'docker', ...spec }), metadata };
}

const UUID = '0b5a9f1c-4a5e-4f3b-9c8d-2e7f6a1b3c4d';

describe('workspaceNameError', () => {
  it.each(['a', 'dev', 'Dev-Box-2', 'a-b-c', 'x'.repeat(32), 'New', 'newer', 'created'])('accepts %j', (name) => {
    expect(workspaceNameError(name)).toBeUndefined();
  });
  it.each([
    ['', /must not be empty/],
    ['x'.repeat(33), /at most 32 characters \(has 33\)/],
    ['new', /cannot be "new": Coder reserves "new" and "create"/],
    ['create', /cannot be "create"/],
    ['my.ws', /ASCII letters and digits/],
    ['my_ws', /ASCII letters and digits/],
    ['-ws', /ASCII letters and digits/],
    ['ws-', /ASCII letters and digits/],
    ['w--s', /ASCII letters and digits/],
    ['wö', /ASCII letters and digits/],
  ])('rejects %j', (name, why) => {
    expect(workspaceNameError(name)).toMatch(why);
  });
});

describe('validateWorkspace accepts', () => {
  it.each<[string, Doc]>([
    ['the minimum', workspace({})],
    ['a template version', workspace({ template: undefined, templateVersion: UUID })],
    [
      'every field',
      workspace({
        connectionRef: { kind: 'ClusterCoderConnection', name: 'shared' },
        organization: 'acme',
        name: 'Dev-Box',
        parameters: [
          { name: 'region', value: 'eu' },
          { name: 'size', value: '' },
        ],
        autostart: { schedule: '30 9 * * 1-5', timezone: 'Europe/Berlin' },
        ttl: '8h',
        dormant: false,
        favorite: true,
        automaticUpdates: 'always',
        deletionPolicy: 'Delete',
        suspend: false,
      }),
    ],
    ['autostart off', workspace({ autostart: { enabled: false } })],
    ['autostart enabled with a schedule', workspace({ autostart: { enabled: true, schedule: '0 8 * * *' } })],
    ['ttl 0s', workspace({ ttl: '0s' })],
    ['ttl 720h', workspace({ ttl: '720h' })],
    ['a dotted metadata.name with spec.name', workspace({ name: 'dev' }, { name: 'team.dev' })],
    ['unknown metadata fields', workspace({}, { name: 'dev', creationTimestamp: null, labels: { 'app.kubernetes.io/name': 'x' } })],
    [
      'a status',
      {
        ...workspace({}),
        status: {
          id: UUID,
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-02T15:04:05Z', reason: 'Synced', message: '' }],
        },
      },
    ],
  ])('%s', (_, doc) => {
    const result = validateWorkspace(JSON.parse(JSON.stringify(doc)));
    expect(result).toMatchObject({ ok: true });
  });

  it('fills defaults in a copy and leaves the input alone', () => {
    const doc = workspace({ connectionRef: { name: 'c' } });
    const result = validateWorkspace(doc);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.connectionRef).toEqual({ name: 'c', kind: 'CoderConnection' });
    expect((doc['spec'] as Doc)['connectionRef']).toEqual({ name: 'c' });
  });
});

describe('validateWorkspace rejects', () => {
  it.each<[string, unknown, [string, string | RegExp][]]>([
    ['not an object', 'hello', [['', 'must be an object (a mapping)']]],
    [
      'an empty object',
      {},
      [
        ['apiVersion', 'is required'],
        ['kind', 'is required'],
        ['metadata', 'is required'],
        ['spec', 'is required'],
      ],
    ],
    ['a wrong apiVersion', { ...workspace({}), apiVersion: 'v1' }, [['apiVersion', 'must be "coderops.dev/v1alpha1"']]],
    ['an unknown top-level field', { ...workspace({}), extra: 1 }, [['extra', 'unknown field "extra"']]],
    ['an unknown spec field', workspace({ foo: 1 }), [['spec.foo', 'unknown field "foo"']]],
    ['a misspelt spec field', workspace({ TTL: '8h' }), [['spec.TTL', 'unknown field "TTL" (did you mean "ttl"?)']]],
    ['a missing owner', workspace({ owner: undefined }), [['spec.owner', 'is required']]],
    ['a number ttl', workspace({ ttl: 8 }), [['spec.ttl', 'must be a string']]],
    ['a string boolean', workspace({ dormant: 'yes' }), [['spec.dormant', 'must be a boolean (true or false)']]],
    ['parameters as a map', workspace({ parameters: { a: '1' } }), [['spec.parameters', 'must be a list']]],
    ['a number parameter value', workspace({ parameters: [{ name: 'a', value: 1 }] }), [['spec.parameters[0].value', 'must be a string']]],
    ['a parameter without a name', workspace({ parameters: [{ value: '1' }] }), [['spec.parameters[0].name', 'is required']]],
    ['a bad enum', workspace({ automaticUpdates: 'sometimes' }), [['spec.automaticUpdates', 'must be one of "always", "never"']]],
    ['a bad deletion policy', workspace({ deletionPolicy: 'delete' }), [['spec.deletionPolicy', 'must be one of "Delete", "Orphan"']]],
    [
      'a bad connection kind',
      workspace({ connectionRef: { kind: 'Secret', name: 'x' } }),
      [['spec.connectionRef.kind', 'must be one of "CoderConnection", "ClusterCoderConnection"']],
    ],
    [
      'both template and templateVersion',
      workspace({ templateVersion: UUID }),
      [['spec', 'exactly one of template and templateVersion must be set']],
    ],
    [
      'neither template nor templateVersion',
      workspace({ template: undefined }),
      [['spec', 'exactly one of template and templateVersion must be set']],
    ],
    [
      'a templateVersion that is no UUID',
      workspace({ template: undefined, templateVersion: 'v1' }),
      [['spec.templateVersion', /must be a UUID/]],
    ],
    [
      'day-of-month not *',
      workspace({ autostart: { schedule: '30 9 1 * *' } }),
      [['spec.autostart.schedule', 'validate weekly schedule: expected day-of-month and month to be *']],
    ],
    [
      'month not *',
      workspace({ autostart: { schedule: '30 9 * 6 1' } }),
      [['spec.autostart.schedule', 'validate weekly schedule: expected day-of-month and month to be *']],
    ],
    [
      'too few fields',
      workspace({ autostart: { schedule: '30 9 *' } }),
      [['spec.autostart.schedule', /expected schedule to consist of 5 fields/]],
    ],
    [
      'a descriptor',
      workspace({ autostart: { schedule: '@daily' } }),
      [['spec.autostart.schedule', /expected schedule to consist of 5 fields/]],
    ],
    ['weekday 7', workspace({ autostart: { schedule: '0 9 * * 7' } }), [['spec.autostart.schedule', /above maximum \(6\)/]]],
    [
      'a CRON_TZ prefix in the schedule',
      workspace({ autostart: { schedule: 'CRON_TZ=UTC 0 9 * * 1' } }),
      [['spec.autostart.schedule', /autostart\.timezone/]],
    ],
    [
      'an unknown time zone',
      workspace({ autostart: { schedule: '0 9 * * 1', timezone: 'Mars/Olympus' } }),
      [['spec.autostart.timezone', /unknown time zone Mars\/Olympus/]],
    ],
    [
      'an unknown time zone and bad fields',
      workspace({ autostart: { schedule: '0 9 1 * 1', timezone: 'Europe/Berln' } }),
      [
        ['spec.autostart.timezone', /unknown time zone Europe\/Berln/],
        ['spec.autostart.schedule', /day-of-month and month/],
      ],
    ],
    [
      'a wrongly cased time zone',
      workspace({ autostart: { schedule: '0 9 * * 1', timezone: 'europe/berlin' } }),
      [['spec.autostart.timezone', /case-sensitive: Europe\/Berlin/]],
    ],
    [
      'enabled: false with a schedule',
      workspace({ autostart: { enabled: false, schedule: '0 9 * * 1' } }),
      [['spec.autostart', 'autostart with enabled: false takes no schedule or timezone']],
    ],
    [
      'enabled: false with a timezone',
      workspace({ autostart: { enabled: false, timezone: 'UTC' } }),
      [['spec.autostart', 'autostart with enabled: false takes no schedule or timezone']],
    ],
    [
      'autostart with nothing',
      workspace({ autostart: {} }),
      [['spec.autostart', 'autostart needs a schedule, or enabled: false to turn it off']],
    ],
    [
      'enabled: true without a schedule',
      workspace({ autostart: { enabled: true } }),
      [['spec.autostart', 'autostart needs a schedule, or enabled: false to turn it off']],
    ],
    ['an empty schedule', workspace({ autostart: { schedule: '' } }), [['spec.autostart.schedule', 'must not be empty']]],
    ['a bad duration', workspace({ ttl: '8 hours' }), [['spec.ttl', /must be a duration such as 8h, 90m, 1h30m or 0s/]]],
    ['a day unit', workspace({ ttl: '1d' }), [['spec.ttl', /must be a duration/]]],
    [
      'ttl under a minute',
      workspace({ ttl: '30s' }),
      [['spec.ttl', /rounds down to 0.*between 1m and 720h \(30 days\), or 0s to turn auto-stop off/]],
    ],
    ['ttl over 30 days', workspace({ ttl: '721h' }), [['spec.ttl', /too long; ttl must be between 1m and 720h/]]],
    ['a reserved name', workspace({ name: 'new' }), [['spec.name', /not a valid Coder workspace name: cannot be "new"/]]],
    ['a 33-character name', workspace({ name: 'a'.repeat(33) }), [['spec.name', /at most 32 characters \(has 33\)/]]],
    ['an underscore name', workspace({ name: 'my_ws' }), [['spec.name', /ASCII letters and digits/]]],
    ['an empty name', workspace({ name: '' }), [['spec.name', /must not be empty/]]],
    [
      'metadata.name with dots and no spec.name',
      workspace({}, { name: 'team.dev' }),
      [['spec.name', /metadata.name "team.dev" is not a valid Coder workspace name .*; set spec.name/]],
    ],
    [
      'a 40-character metadata.name and no spec.name',
      workspace({}, { name: 'w'.repeat(40) }),
      [['spec.name', /at most 32 characters.*set spec.name/]],
    ],
    ['metadata.name "new" and no spec.name', workspace({}, { name: 'new' }), [['spec.name', /metadata.name "new".*set spec.name/]]],
    ['a metadata.name Kubernetes refuses', workspace({}, { name: 'Dev' }), [['metadata.name', /lowercase DNS name/]]],
    [
      'a metadata label that is no string',
      workspace({}, { name: 'dev', labels: { 'app.kubernetes.io/part-of': 3 } }),
      [['metadata.labels["app.kubernetes.io/part-of"]', 'must be a string']],
    ],
    [
      'duplicate parameters',
      workspace({
        parameters: [
          { name: 'a', value: '1' },
          { name: 'b', value: '2' },
          { name: 'a', value: '3' },
          { name: 'b', value: '4' },
        ],
      }),
      [
        ['spec.parameters[2].name', 'duplicate parameter "a" (first at spec.parameters[0])'],
        ['spec.parameters[3].name', 'duplicate parameter "b" (first at spec.parameters[1])'],
      ],
    ],
    [
      'many things at once',
      workspace({ templateVersion: UUID, ttl: 5, foo: true, autostart: { enabled: false, schedule: '0 9 * * 1' }, name: 'create' }),
      [
        ['spec.foo', 'unknown field "foo"'],
        ['spec.ttl', 'must be a string'],
        ['spec', 'exactly one of template and templateVersion must be set'],
        ['spec.autostart', 'autostart with enabled: false takes no schedule or timezone'],
        ['spec.name', /cannot be "create"/],
      ],
    ],
  ])('%s', (_, doc, expected) => {
    const result = validateWorkspace(JSON.parse(JSON.stringify(doc)));
    if (result.ok) throw new Error('expected errors');
    expect(result.errors.map((e) => e.path)).toEqual(expected.map(([path]) => path));
    result.errors.forEach((e, i) => {
      const want = expected[i]![1];
      if (typeof want === 'string') expect(e.message).toBe(want);
      else expect(e.message).toMatch(want);
    });
  });
});

function connection(kind: string, spec: Doc): Doc {
  return {
    apiVersion: 'coderops.dev/v1alpha1',
    kind,
    metadata: { name: 'coder' },
    spec: { url: 'https://coder.example.com', ...spec },
  };
}

describe('validateCoderConnection', () => {
  it('accepts a connection and fills the Secret key', () => {
    const result = validateCoderConnection(
      connection('CoderConnection', { tokenSecretRef: { name: 'coder-token' }, requestsPerMinute: 300 }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.value.spec.tokenSecretRef).toEqual({ name: 'coder-token', key: 'token' });
  });

  it.each<[string, Doc, [string, string | RegExp][]]>([
    ['a missing Secret', connection('CoderConnection', {}), [['spec.tokenSecretRef', 'is required']]],
    [
      'a non-http URL',
      connection('CoderConnection', { url: 'coder.example.com', tokenSecretRef: { name: 's' } }),
      [['spec.url', 'must be an http:// or https:// URL']],
    ],
    [
      'a Secret namespace',
      connection('CoderConnection', { tokenSecretRef: { name: 's', namespace: 'other' } }),
      [['spec.tokenSecretRef.namespace', /only for a ClusterCoderConnection/]],
    ],
    [
      'a zero rate',
      connection('CoderConnection', { tokenSecretRef: { name: 's' }, requestsPerMinute: 0 }),
      [['spec.requestsPerMinute', 'must be >= 1']],
    ],
    [
      'a fractional rate',
      connection('CoderConnection', { tokenSecretRef: { name: 's' }, requestsPerMinute: 1.5 }),
      [['spec.requestsPerMinute', 'must be an integer']],
    ],
    [
      'tenancy rules',
      connection('CoderConnection', { tokenSecretRef: { name: 's' }, allow: [] }),
      [['spec.allow', 'unknown field "allow"']],
    ],
    ['the wrong kind', connection('ClusterCoderConnection', { tokenSecretRef: { name: 's' } }), [['kind', 'must be "CoderConnection"']]],
  ])('rejects %s', (_, doc, expected) => {
    const result = validateCoderConnection(doc);
    if (result.ok) throw new Error('expected errors');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(
      expected.map(([path, message]) => [path, typeof message === 'string' ? message : expect.stringMatching(message)]),
    );
  });
});

describe('validateClusterCoderConnection', () => {
  it('accepts tenancy rules', () => {
    const doc = connection('ClusterCoderConnection', {
      tokenSecretRef: { name: 's', namespace: 'coder-system', key: 'admin' },
      allow: [{ namespaceSelector: { matchLabels: { team: 'a' }, matchNames: ['team-a'] }, owners: ['alice', '*'] }],
    });
    expect(validateClusterCoderConnection(doc)).toMatchObject({ ok: true });
  });

  it.each<[string, Doc, [string, string | RegExp][]]>([
    [
      'no Secret namespace',
      connection('ClusterCoderConnection', { tokenSecretRef: { name: 's' } }),
      [['spec.tokenSecretRef.namespace', /must say which namespace/]],
    ],
    [
      'a rule without owners',
      connection('ClusterCoderConnection', { tokenSecretRef: { name: 's', namespace: 'n' }, allow: [{ owners: [] }] }),
      [['spec.allow[0].owners', 'must not be empty']],
    ],
    [
      'an unknown selector field',
      connection('ClusterCoderConnection', {
        tokenSecretRef: { name: 's', namespace: 'n' },
        allow: [{ owners: ['a'], namespaceSelector: { matchExpressions: [] } }],
      }),
      [['spec.allow[0].namespaceSelector.matchExpressions', 'unknown field "matchExpressions"']],
    ],
  ])('rejects %s', (_, doc, expected) => {
    const result = validateClusterCoderConnection(doc);
    if (result.ok) throw new Error('expected errors');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(
      expected.map(([path, message]) => [path, typeof message === 'string' ? message : expect.stringMatching(message)]),
    );
  });
});
