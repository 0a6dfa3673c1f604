import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_HEADER, crdFiles } from '../../../src/api/crd.ts';

type Node = Record<string, unknown>;

const CRDS_DIR = join(import.meta.dirname, '..', '..', '..', 'crds');
const files = crdFiles();

function version(crd: Node): Node {
  return ((crd['spec'] as Node)['versions'] as Node[])[0]!;
}

function openAPI(crd: Node): Node {
  return (version(crd)['schema'] as Node)['openAPIV3Schema'] as Node;
}

// Every schema node with its path, depth first.
function* nodes(schema: Node, path = ''): Generator<[string, Node]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema['properties'] as Record<string, Node> | undefined) ?? {})) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (schema['items'] !== undefined) yield* nodes(schema['items'] as Node, `${path}[]`);
  if (typeof schema['additionalProperties'] === 'object') yield* nodes(schema['additionalProperties'] as Node, `${path}{}`);
}

describe('checked-in CRDs', () => {
  it('are the four files', () => {
    expect(files.map((f) => f.file)).toEqual([
      'coderops.dev_workspaces.yaml',
      'coderops.dev_coderconnections.yaml',
      'coderops.dev_clustercoderconnections.yaml',
      'coderops.dev_workspacesets.yaml',
    ]);
  });

  // The chart ships its own copy (Helm installs CRDs only from the chart's crds/).
  const copies = files.flatMap((f) =>
    [CRDS_DIR, join(CRDS_DIR, '..', 'helm', 'coder-workspace-operator', 'crds')].map((dir) => [dir, f.file, f.text] as const),
  );
  it.each(copies)('%s/%s matches the schema byte for byte', (dir, file, text) => {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(join(dir, file), 'utf8');
    } catch {
      onDisk = undefined;
    }
    expect(onDisk, `${join(dir, file)} is missing or stale: run \`npm run crds\` and commit the result`).toBe(text);
  });

  it.each(files.map((f) => [f.file, f.text] as const))('%s starts with the do-not-edit header and parses back', (_, text) => {
    expect(text.startsWith(CRD_HEADER)).toBe(true);
    expect(parse(text)).toEqual(files.find((f) => f.text === text)!.crd);
  });
});

describe('CRD structure', () => {
  it.each(files.map((f) => [f.file, f.crd as Node] as const))('%s is structural', (_, crd) => {
    for (const [path, node] of nodes(openAPI(crd))) {
      expect(node['type'], `${path || '<root>'} has no type`).toBeTypeOf('string');
      expect(node['additionalProperties'], `${path} has additionalProperties: false`).not.toBe(false);
      if (node['properties'] !== undefined) expect(node['additionalProperties'], `${path}`).toBeUndefined();
      for (const forbidden of ['anyOf', 'oneOf', 'allOf', 'const', 'patternProperties', '$id', '$schema']) {
        expect(node, `${path} keeps ${forbidden}`).not.toHaveProperty(forbidden);
      }
    }
  });

  it.each(files.map((f) => [f.file, f.crd as Node] as const))('%s leaves metadata to Kubernetes', (_, crd) => {
    const props = openAPI(crd)['properties'] as Node;
    expect(props['metadata']).toEqual({ type: 'object' });
    expect(props['apiVersion']).toEqual({ type: 'string' });
    expect(props['kind']).toEqual({ type: 'string' });
    expect(openAPI(crd)['required']).toEqual(['spec']);
  });

  it.each(files.map((f) => [f.file, f.crd as Node] as const))('%s has a status subresource and Ready/Age columns', (_, crd) => {
    expect(version(crd)['subresources']).toEqual({ status: {} });
    expect(version(crd)).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
    const columns = (version(crd)['additionalPrinterColumns'] as Node[]).map((c) => c['name']);
    expect(columns).toContain('Ready');
    expect(columns.at(-1)).toBe('Age');
    expect((crd['spec'] as Node)['names']).toMatchObject({ categories: ['coder'] });
  });

  it('Workspace is namespaced, short name cws, with its printer columns', () => {
    const crd = files[0]!.crd as Node;
    expect(crd['metadata']).toEqual({ name: 'workspaces.coderops.dev' });
    expect(crd['spec']).toMatchObject({
      group: 'coderops.dev',
      scope: 'Namespaced',
      names: { kind: 'Workspace', listKind: 'WorkspaceList', plural: 'workspaces', singular: 'workspace', shortNames: ['cws'] },
    });
    expect(version(crd)['additionalPrinterColumns']).toEqual([
      { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
      { name: 'Coder Name', type: 'string', jsonPath: '.status.name' },
      { name: 'Template', type: 'string', jsonPath: '.spec.template' },
      { name: 'Running', type: 'boolean', jsonPath: '.status.running' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Rollout', type: 'string', jsonPath: '.status.rollout.state', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });

  it('connections: CoderConnection namespaced (ccon), ClusterCoderConnection cluster-scoped', () => {
    expect(files[1]!.crd['spec']).toMatchObject({ scope: 'Namespaced', names: { kind: 'CoderConnection', shortNames: ['ccon'] } });
    expect(files[2]!.crd['spec']).toMatchObject({ scope: 'Cluster', names: { kind: 'ClusterCoderConnection' } });
    for (const f of files.slice(1, 3)) {
      expect((version(f.crd as Node)['additionalPrinterColumns'] as Node[]).map((c) => c['name'])).toEqual(['URL', 'Ready', 'Age']);
    }
  });

  it('WorkspaceSet: namespaced (cwset), one generator kind per entry, defaults, no transition rule in its template', () => {
    const crd = files[3]!.crd as Node;
    expect(crd['spec']).toMatchObject({ scope: 'Namespaced', names: { kind: 'WorkspaceSet', shortNames: ['cwset'] } });
    expect((version(crd)['additionalPrinterColumns'] as Node[]).map((c) => c['name'])).toEqual([
      'Members',
      'Children',
      'Ready Children',
      'Policy',
      'Ready',
      'Age',
    ]);
    const spec = (openAPI(crd)['properties'] as Record<string, Node>)['spec']!;
    const props = spec['properties'] as Record<string, Node>;
    expect(props['syncPolicy']).toMatchObject({ default: 'createUpdate', enum: ['createOnly', 'createUpdate', 'createDelete'] });
    expect(props['maxRemovals']).toMatchObject({ default: 10, minimum: 0 });
    expect(props['generators']!['items'] as Node).toMatchObject({ minProperties: 1, maxProperties: 1 });
    // The template may change what a Workspace may not (owner, template): its children say whether they can follow.
    const template = [...nodes(spec)].filter(([p]) => p.startsWith('.template'));
    const transition = template.flatMap(([, n]) => ((n['x-kubernetes-validations'] as Node[] | undefined) ?? []).map((r) => r['rule']));
    expect(transition.length).toBeGreaterThan(0);
    expect(transition.filter((r) => String(r).includes('oldSelf'))).toEqual([]);
    expect(((props['template']!['properties'] as Record<string, Node>)['spec']!['properties'] as Node)['owner']).toBeUndefined();
  });

  it('Workspace spec carries its CEL rules, defaults, patterns and enums', () => {
    const spec = (openAPI(files[0]!.crd as Node)['properties'] as Record<string, Node>)['spec']!;
    const rules = (spec['x-kubernetes-validations'] as Node[]).map((r) => r['rule']);
    expect(rules).toContain('has(self.template) != has(self.templateVersion)');
    const props = spec['properties'] as Record<string, Node>;
    expect(props['owner']!['x-kubernetes-validations']).toEqual([
      { rule: 'self == oldSelf', message: 'owner is immutable' },
      {
        rule:
          "self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') || " +
          "(size(self) <= 32 && self.matches('^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$') && !(self in ['new', 'create']))",
        message: 'owner must be a Coder username (1-32 ASCII letters and digits, single hyphens between them) or a user UUID',
      },
    ]);
    expect(props['autostart']!['x-kubernetes-validations']).toHaveLength(2);
    expect(props['ttl']!['pattern']).toBe('^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$');
    expect(props['name']).toMatchObject({ minLength: 1, maxLength: 32 });
    expect(props['automaticUpdates']).toMatchObject({ type: 'string', enum: ['always', 'never'] });
    expect((props['connectionRef']!['properties'] as Record<string, Node>)['kind']).toMatchObject({
      type: 'string',
      enum: ['CoderConnection', 'ClusterCoderConnection'],
      default: 'CoderConnection',
    });
  });

  it('status conditions are a list map keyed by type, with date-time kept', () => {
    const status = (openAPI(files[0]!.crd as Node)['properties'] as Record<string, Node>)['status']!;
    const conditions = (status['properties'] as Record<string, Node>)['conditions']!;
    expect(conditions).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
    expect(((conditions['items'] as Node)['properties'] as Record<string, Node>)['lastTransitionTime']).toEqual({
      type: 'string',
      format: 'date-time',
    });
  });

  it('connection specs carry the Secret namespace rules and maps become additionalProperties', () => {
    const rules = (f: number) =>
      ((openAPI(files[f]!.crd as Node)['properties'] as Record<string, Node>)['spec']!['x-kubernetes-validations'] as Node[]).map(
        (r) => r['rule'],
      );
    // The userinfo rule sits on the spec so the apiserver's error shows "object", not the URL.
    const userinfo = expect.stringMatching(/^!self\.url\.matches\(/);
    expect(rules(1)).toEqual(['!has(self.tokenSecretRef.namespace)', userinfo]);
    expect(rules(2)).toEqual(['has(self.tokenSecretRef.namespace)', userinfo]);
    const selector = [...nodes(openAPI(files[2]!.crd as Node))].find(([p]) => p.endsWith('namespaceSelector.matchLabels'))![1];
    expect(selector).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
  });
});
