// plan checks the declarations against Coder before anything is applied:
// an unknown owner, template, version or a parameter the template does not
// take is an error on its document (exit 1) in every output format, and
// apply refuses before its first write. Each distinct thing is read once.
import { describe, expect, it } from 'vitest';
import type { SimSeed } from '../../src/coder-sim/seed.ts';
import { harnessPerTest } from '../support/harness-per-test.ts';
import { workspaceYaml } from './harness.ts';

const SEED: SimSeed = {
  users: [{ username: 'admin', roles: ['owner'] }, { username: 'alice' }, { username: 'bob' }],
  templates: [
    { name: 'docker' },
    {
      name: 'python',
      parameters: [
        { name: 'region', type: 'string', options: [{ value: 'eu' }, { value: 'us' }], required: false, default_value: 'eu' },
        { name: 'cpus', type: 'number', required: false, default_value: '2' },
        { name: 'gpu', type: 'bool', required: false, default_value: 'false' },
        { name: 'size', type: 'string', required: true },
      ],
    },
  ],
  template_versions: [{ template: 'python', name: 'v2', parameters: [{ name: 'size', required: true }] }],
};

const h = harnessPerTest({ seed: SEED });

// Documents written out whole, here and in the cases below: what each case is about is the one field that differs.
const BAD = [
  workspaceYaml('a', { owner: 'zoe', template: 'docker' }),
  workspaceYaml('b', { owner: 'alice', template: 'pyhton' }),
  workspaceYaml('c', {
    owner: 'alice',
    template: 'python',
    version: { policy: 'Pinned', name: 'v9' },
    parameters: [{ name: 'size', value: 's' }],
  }),
  workspaceYaml('d', {
    owner: 'bob',
    template: 'python',
    parameters: [
      { name: 'region', value: 'asia' },
      { name: 'cpus', value: 'many' },
      { name: 'gpu', value: 'yes' },
      { name: 'colour', value: 'red' },
    ],
  }),
].join('\n---\n');

describe('plan checks Coder before apply', () => {
  it('names every unknown owner, template, version and parameter, on its document, and exits 1', async () => {
    await h.write('bad.yaml', BAD);
    const r = await h.cli(['plan', '-f', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error: bad.yaml: document 1: spec.owner: owner "zoe" is not a user of this Coder deployment');
    expect(r.stdout).toContain('error: bad.yaml: document 2: spec.template: template "pyhton" does not exist in the default organization');
    expect(r.stdout).toContain('error: bad.yaml: document 3: spec.version.name: template "python" has no version named "v9"');
    expect(r.stdout).toContain(
      'document 4: spec.parameters[0].value: parameter "region" of the active version of "python": "asia" is not one of the options "eu", "us"',
    );
    expect(r.stdout).toContain(
      'document 4: spec.parameters[1].value: parameter "cpus" of the active version of "python": "many" is not a number',
    );
    expect(r.stdout).toContain(
      'document 4: spec.parameters[2].value: parameter "gpu" of the active version of "python": "yes" is not true or false',
    );
    expect(r.stdout).toContain('document 4: spec.parameters[3].name: the active version of "python" has no parameter "colour"');
    expect(r.stdout).toContain('document 4: spec.parameters: the active version of "python" requires parameter "size"');
    expect(r.stdout).not.toContain('+ create');
  });

  it('says the same in -o json and -o markdown', async () => {
    await h.write('bad.yaml', BAD);
    const json = await h.cli(['plan', '-f', 'bad.yaml', '-o', 'json']);
    expect(json.code).toBe(1);
    const errors = (JSON.parse(json.stdout) as { errors: { document: number; field: string; message: string }[] }).errors;
    expect(errors.map((e) => [e.document, e.field])).toEqual([
      [1, 'spec.owner'],
      [2, 'spec.template'],
      [3, 'spec.version.name'],
      [4, 'spec.parameters[0].value'],
      [4, 'spec.parameters[1].value'],
      [4, 'spec.parameters[2].value'],
      [4, 'spec.parameters[3].name'],
      [4, 'spec.parameters'],
    ]);
    const md = await h.cli(['plan', '-f', 'bad.yaml', '-o', 'markdown']);
    expect(md.code).toBe(1);
    expect(md.stdout).toContain('❌ 8 error(s)');
    expect(md.stdout).toContain('owner "zoe" is not a user');
    expect(md.stdout).toContain('template "pyhton" does not exist');
    expect(md.stdout).toContain('`bad.yaml` document 3');
  });

  it('apply refuses before its first write', async () => {
    await h.write('bad.yaml', BAD);
    await h.write('good.yaml', workspaceYaml('good', { owner: 'alice', template: 'docker' }));
    const r = await h.cli(['apply', '-f', 'bad.yaml', 'good.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('template "pyhton" does not exist');
    expect(h.writes()).toEqual([]);
  });

  it('a pinned version checks the parameters of that version, and a good plan still plans', async () => {
    await h.write(
      'ok.yaml',
      [
        workspaceYaml('on-v2', {
          owner: 'alice',
          template: 'python',
          version: { policy: 'Pinned', name: 'v2' },
          parameters: [{ name: 'size', value: 'xl' }],
        }),
        workspaceYaml('active', {
          owner: 'alice',
          template: 'python',
          parameters: [
            { name: 'size', value: 'xl' },
            { name: 'region', value: 'us' },
            { name: 'cpus', value: '4' },
          ],
        }),
      ].join('\n---\n'),
    );
    const r = await h.cli(['plan', '-f', 'ok.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Plan: 2 to create');
    await h.write(
      'v2-bad.yaml',
      workspaceYaml('v2', {
        owner: 'alice',
        template: 'python',
        version: { policy: 'Pinned', name: 'v2' },
        parameters: [
          { name: 'size', value: 'xl' },
          { name: 'region', value: 'eu' },
        ],
      }),
    );
    const bad = await h.cli(['plan', '-f', 'v2-bad.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('spec.parameters[1].name: version "v2" has no parameter "region" (it has "size")');
  });

  it('reads each distinct owner, template, version and parameter set once, however many documents name them', async () => {
    const docs = Array.from({ length: 40 }, (_, i) =>
      workspaceYaml(`ws-${i}`, {
        owner: i % 2 === 0 ? 'alice' : 'bob',
        template: 'python',
        ...(i % 4 === 0 ? { version: { policy: 'Pinned', name: 'v2' } } : {}),
        parameters: [{ name: 'size', value: 'm' }],
      }),
    );
    await h.write('many.yaml', docs.join('\n---\n'));
    h.resetCalls();
    const r = await h.cli(['plan', '-f', 'many.yaml']);
    expect(r.code).toBe(2);
    const count = (pattern: RegExp) => h.sim.calls.filter((c) => c.method === 'GET' && pattern.test(c.path)).length;
    expect(count(/\/api\/v2\/users\/alice$/i)).toBe(1);
    expect(count(/\/api\/v2\/users\/bob$/i)).toBe(1);
    expect(count(/\/templates\/python$/)).toBe(1);
    expect(count(/\/templates\/[^/]+\/versions\/v2$/)).toBe(1);
    expect(count(/\/rich-parameters$/)).toBe(2); // the active version and v2
  });
});
