// The generated CRDs on a real kube-apiserver: schema errors, defaults and
// CEL rules as users meet them through kubectl; the status subresource and
// the printer columns.
import { beforeAll, describe, expect, it } from 'vitest';
import { coderConnectionManifest } from '../support/coder-connection.ts';
import { workspaceYaml } from '../support/workspace.ts';
import { freshNamespace, installCrds, kubectl, kubectlOk } from './kubectl.ts';

let ns: string;

beforeAll(async () => {
  await installCrds();
  ns = await freshNamespace('crds');
});

const workspace = (name: string, spec: Record<string, unknown>) => workspaceYaml(name, spec, ns);

/** Server-side apply, as Flux and Argo CD (with ServerSideApply) send it. */
function apply(doc: string) {
  return kubectl(['apply', '--server-side', '--validate=strict', '--field-manager=e2e', '-f', '-'], { stdin: doc });
}

const VERSION = '6c5ec2d5-1f5b-4b3a-9a4b-1f2f3f4f5f6f';

describe('Workspace validation on create', () => {
  it.each([
    { name: 'template', spec: { owner: 'alice', template: 'docker' } },
    { name: 'template-version', spec: { owner: 'alice', templateVersion: VERSION } },
    {
      // The same every-field spec as validate.test.ts's, on purpose: there the schema, here the apiserver's own structural schema and CEL.
      name: 'everything',
      spec: {
        owner: 'alice',
        organization: 'coder',
        name: 'alice-main',
        template: 'docker',
        parameters: [{ name: 'cpu', value: '2' }],
        autostart: { schedule: '30 9 * * 1-5', timezone: 'Europe/Berlin' },
        ttl: '8h',
        dormant: false,
        favorite: true,
        automaticUpdates: 'always',
        deletionPolicy: 'Delete',
        suspend: false,
      },
    },
    { name: 'autostart-off', spec: { owner: 'alice', template: 'docker', autostart: { enabled: false } } },
    {
      name: 'lifecycle',
      spec: {
        owner: 'alice',
        template: 'docker',
        running: true,
        ttl: '0s',
        version: { policy: 'Pinned', name: 'v2' },
        managementPolicies: ['Observe'],
      },
    },
    {
      name: 'stopped',
      spec: { owner: 'alice', template: 'docker', running: false, autostart: { enabled: false }, version: { policy: 'Active' } },
    },
  ])('accepts $name', async ({ name, spec }) => {
    const ran = await apply(workspace(`ok-${name}`, spec));
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });

  it.each([
    { name: 'unknown-field', spec: { owner: 'a', template: 'docker', color: 'blue' }, error: '.spec.color: field not declared in schema' },
    {
      name: 'both-templates',
      spec: { owner: 'a', template: 'docker', templateVersion: VERSION },
      error: 'exactly one of template and templateVersion must be set',
    },
    { name: 'no-template', spec: { owner: 'a' }, error: 'exactly one of template and templateVersion must be set' },
    { name: 'no-owner', spec: { template: 'docker' }, error: 'spec.owner: Required value' },
    { name: 'bad-ttl', spec: { owner: 'a', template: 'docker', ttl: '45d' }, error: 'spec.ttl: Invalid value: "45d"' },
    { name: 'wrong-type', spec: { owner: 'a', template: 'docker', dormant: 'yes' }, error: '.spec.dormant: expected boolean' },
    {
      name: 'bad-enum',
      spec: { owner: 'a', template: 'docker', automaticUpdates: 'sometimes' },
      error: 'spec.automaticUpdates: Unsupported value: "sometimes"',
    },
    { name: 'bad-name', spec: { owner: 'a', template: 'docker', name: '-bad-' }, error: 'spec.name: Invalid value: "-bad-"' },
    { name: 'bad-version', spec: { owner: 'a', templateVersion: 'v1' }, error: 'spec.templateVersion: Invalid value: "v1"' },
    {
      name: 'autostart-empty',
      spec: { owner: 'a', template: 'docker', autostart: {} },
      error: 'autostart needs a schedule, or enabled: false to turn it off',
    },
    { name: 'owner-path', spec: { owner: 'bob/../alice', template: 'docker' }, error: 'owner must be a Coder username' },
    { name: 'owner-long', spec: { owner: 'a'.repeat(33), template: 'docker' }, error: 'owner must be a Coder username' },
    {
      name: 'org-query',
      spec: { owner: 'a', organization: 'one?x', template: 'docker' },
      error: 'organization must be a Coder organization name',
    },
    { name: 'template-query', spec: { owner: 'a', template: 'docker#x' }, error: 'template must be a Coder template name' },
    {
      name: 'autostart-off-with-schedule',
      spec: { owner: 'a', template: 'docker', autostart: { enabled: false, schedule: '0 9 * * *' } },
      error: 'autostart with enabled: false takes no schedule or timezone',
    },
    {
      name: 'stopped-with-autostart',
      spec: { owner: 'a', template: 'docker', running: false, autostart: { schedule: '0 9 * * 1-5' } },
      error: 'running: false conflicts with an autostart schedule',
    },
    {
      name: 'running-dormant',
      spec: { owner: 'a', template: 'docker', running: true, dormant: true },
      error: 'running: true conflicts with dormant: true',
    },
    {
      name: 'running-ttl',
      spec: { owner: 'a', template: 'docker', running: true, ttl: '8h' },
      error: 'running: true conflicts with a non-zero ttl',
    },
    {
      name: 'version-active-name',
      spec: { owner: 'a', template: 'docker', version: { policy: 'Active', name: 'v2' } },
      error: 'version with policy Active takes no name or id',
    },
    {
      name: 'version-pinned-none',
      spec: { owner: 'a', template: 'docker', version: { policy: 'Pinned' } },
      error: 'version with policy Pinned needs exactly one of name and id',
    },
    {
      name: 'pinned-auto-updates',
      spec: { owner: 'a', template: 'docker', version: { policy: 'Pinned', name: 'v2' }, automaticUpdates: 'always' },
      error: 'version policy Pinned conflicts with automaticUpdates: always',
    },
  ])('rejects $name with a readable message', async ({ name, spec, error }) => {
    const ran = await apply(workspace(`bad-${name}`, spec));
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain(error);
    expect((await kubectl(['get', 'workspace', `bad-${name}`, '-n', ns])).code).not.toBe(0);
  });

  it('defaults connectionRef.kind', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      stdin: workspace('defaulted', { owner: 'a', template: 'docker', connectionRef: { name: 'main' } }),
    });
    const kind = await kubectlOk(['get', 'cws', 'defaulted', '-n', ns, '-o', 'jsonpath={.spec.connectionRef.kind}']);
    expect(kind).toBe('CoderConnection');
  });
});

describe('immutable fields (CEL transition rules)', () => {
  it.each([
    {
      field: 'owner',
      before: { owner: 'alice', template: 'docker' },
      after: { owner: 'bob', template: 'docker' },
      error: 'owner is immutable',
    },
    {
      field: 'organization',
      before: { owner: 'a', organization: 'one', template: 'docker' },
      after: { owner: 'a', organization: 'two', template: 'docker' },
      error: 'organization is immutable',
    },
    {
      field: 'organization-removed',
      before: { owner: 'a', organization: 'one', template: 'docker' },
      after: { owner: 'a', template: 'docker' },
      error: 'organization cannot be added or removed after creation',
    },
    {
      field: 'template',
      before: { owner: 'a', template: 'docker' },
      after: { owner: 'a', template: 'kubernetes' },
      error: 'template is immutable',
    },
    {
      field: 'template-to-version',
      before: { owner: 'a', template: 'docker' },
      after: { owner: 'a', templateVersion: VERSION },
      error: 'template and templateVersion cannot be added or removed after creation',
    },
  ])('$field cannot change', async ({ field, before, after, error }) => {
    const name = `immutable-${field}`;
    await kubectlOk(['apply', '--server-side', '--field-manager=e2e', '-f', '-'], { stdin: workspace(name, before) });
    const ran = await apply(workspace(name, after));
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain(error);
  });

  it('mutable fields can change', async () => {
    await kubectlOk(['apply', '--server-side', '--field-manager=e2e', '-f', '-'], {
      stdin: workspace('mutable', { owner: 'a', template: 'docker', ttl: '1h' }),
    });
    const ran = await apply(workspace('mutable', { owner: 'a', template: 'docker', ttl: '2h', name: 'renamed', dormant: true }));
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
  });
});

describe('status subresource and printer columns', () => {
  it('status is written only through the subresource, and kubectl get cws shows it', async () => {
    await kubectlOk(['apply', '-f', '-'], { stdin: workspace('shown', { owner: 'alice', template: 'docker' }) });
    const status = {
      status: {
        name: 'alice-shown',
        running: true,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'ok', lastTransitionTime: '2026-11-23T10:00:00Z' }],
      },
    };
    // A status in the main resource is ignored...
    await kubectlOk(['patch', 'cws', 'shown', '-n', ns, '--type=merge', '-p', JSON.stringify(status)]);
    expect(await kubectlOk(['get', 'cws', 'shown', '-n', ns, '-o', 'jsonpath={.status}'])).toBe('');
    // ...and taken through /status.
    await kubectlOk(['patch', 'cws', 'shown', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    const table = await kubectlOk(['get', 'cws', 'shown', '-n', ns]);
    const [header, row] = table.trim().split('\n');
    expect(header).toMatch(/^NAME\s+OWNER\s+CODER NAME\s+TEMPLATE\s+RUNNING\s+READY\s+AGE$/);
    expect(row).toMatch(/^shown\s+alice\s+alice-shown\s+docker\s+true\s+True\s+\S+$/);
  });

  it('an invalid condition is refused on the status subresource too', async () => {
    await kubectlOk(['apply', '-f', '-'], { stdin: workspace('bad-status', { owner: 'alice', template: 'docker' }) });
    const ran = await kubectl([
      'patch',
      'cws',
      'bad-status',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } }),
    ]);
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain('Unsupported value: "Maybe"');
  });

  it('a connection URL with user:password@ is refused without the apiserver quoting it', async () => {
    const doc = JSON.stringify(
      coderConnectionManifest('with-password', ns, {
        url: 'https://bob:hunter2-e2e@coder.example.com',
        tokenSecretRef: { name: 'coder-token' },
      }),
    );
    const ran = await apply(doc);
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toContain('url must not contain a user name or password');
    expect(ran.stderr).not.toContain('hunter2-e2e');
    // A user UUID is a valid owner.
    await kubectlOk(['apply', '-f', '-'], { stdin: workspace('owner-uuid', { owner: VERSION, template: 'docker' }) });
  });

  it('the connections are served too, ClusterCoderConnection cluster-scoped', async () => {
    const resources = await kubectlOk(['api-resources', '--api-group=coderops.dev', '-o', 'wide']);
    expect(resources).toMatch(/workspaces\s+cws\s+coderops.dev\/v1alpha1\s+true\s+Workspace/);
    expect(resources).toMatch(/clustercoderconnections\s+\S*\s*coderops.dev\/v1alpha1\s+false\s+ClusterCoderConnection/);
    expect(resources).toMatch(/coderconnections\s+\S*\s*coderops.dev\/v1alpha1\s+true\s+CoderConnection/);
  });
});
