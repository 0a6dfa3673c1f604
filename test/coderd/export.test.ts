// `cwo export` against a real coderd: workspaces made with coderd's own API in
// the odd shapes a fleet has (an old version after a promotion, autostart and
// auto-stop off and stopped, dormant, a Berlin schedule with automatic
// updates, parameters with an ephemeral one, a favorite), exported through
// the search query, every document checked with the project's validator;
// then plan on the export shows only adoptions and makes no workspace write
// (the recording proxy), apply writes nothing, and plan is in sync.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateWorkspace } from '../../src/api/validate.ts';
import { createTemplate, createTemplateVersion, loginAs, type TemplateSpec } from './bootstrap.ts';
import { startCoderdCli, uniqueName, type CoderdCli } from './cli-harness.ts';
import { world } from './world.ts';

const HOUR = 3_600_000;
const PARAMS: TemplateSpec = {
  parameters: [
    { name: 'size', default: 'small', mutable: true },
    { name: 'region', default: 'eu', mutable: false },
    { name: 'debug', default: 'false', mutable: true, ephemeral: true },
  ],
};
let t: CoderdCli;

/** Writes other than the favorites' short-lived owner tokens (mint + delete). */
function workspaceWrites() {
  return t.proxy.writes().filter((c) => !/^\/api\/v2\/users\/[^/]+\/keys/.test(c.path));
}

async function create(owner: string, name: string, templateId: string, extra: Record<string, unknown> = {}): Promise<any> {
  const ws = await t.coder.admin.request('POST', `/api/v2/users/${owner}/workspaces`, { name, template_id: templateId, ...extra });
  return t.coder.admin.waitBuild(ws.id);
}

describe(`cwo export on a real coderd ${world().version}`, () => {
  beforeEach(async () => {
    t = await startCoderdCli();
  });
  afterEach(() => t.close());

  it('exports the fleet as coderd has it, and plan on the export only adopts; apply writes nothing', async () => {
    const b = { admin: t.coder.admin, adminId: t.coder.users.admin!, orgId: t.coder.orgId };
    const template = uniqueName('exp');
    const tpl = await createTemplate(b, world().echotar, template, PARAMS, {
      template_use_classic_parameter_flow: true,
      default_ttl_ms: 8 * HOUR,
    });
    const old = await create('ann', `${template}-old`, tpl.id, {
      rich_parameter_values: [
        { name: 'size', value: 'large' },
        { name: 'region', value: 'us' },
      ],
    });
    const v2 = await createTemplateVersion(b, world().echotar, PARAMS, { templateId: tpl.id, name: `${template}-v2` });
    await t.coder.admin.request('PATCH', `/api/v2/templates/${tpl.id}/versions`, { id: v2.id });

    const quiet = await create('bob', `${template}-quiet`, tpl.id);
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${quiet.id}/autostart`, { schedule: null });
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${quiet.id}/ttl`, { ttl_ms: null });
    const stop = await t.coder.admin.request('POST', `/api/v2/workspaces/${quiet.id}/builds`, { transition: 'stop' });
    await t.coder.admin.waitBuild(stop.workspace_id);
    const sleepy = await create('carl', `${template}-sleepy`, tpl.id);
    await t.coder.admin.request('PUT', `/api/v2/workspaces/${sleepy.id}/dormant`, { dormant: true });
    const sched = await create('dora', `${template}-sched`, tpl.id, {
      autostart_schedule: 'CRON_TZ=Europe/Berlin 30 8 * * 1-5',
      ttl_ms: 4 * HOUR,
      automatic_updates: 'always',
    });
    const dora = await loginAs(t.coder.url, 'dora');
    await dora.request('PUT', `/api/v2/workspaces/${sched.id}/favorite`);

    const out = await t.cli([
      'export',
      '-q',
      `template:${template}`,
      '--out-dir',
      'fleet',
      '--parameters',
      '--include-favorites',
      '--running',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('exported 4 of 4 workspace(s) to 4 file(s)');
    expect(workspaceWrites()).toEqual([]);
    // One list (the query selects the template's four) and one per owner as that owner (favorites),
    // the parameters of each build, the versions' definitions once each.
    const reads = (path: RegExp) => t.proxy.calls.filter((c) => c.method === 'GET' && path.test(c.path)).length;
    expect(reads(/^\/api\/v2\/workspaces$/)).toBe(1 + 4);
    expect(reads(/^\/api\/v2\/workspacebuilds\/[^/]+\/parameters$/)).toBe(4);
    expect(reads(/^\/api\/v2\/templateversions\/[^/]+\/rich-parameters$/)).toBe(2);

    const docs = new Map<string, any>();
    for (const file of await readdir(join(t.dir, 'fleet'))) {
      for (const d of parseAllDocuments(await readFile(join(t.dir, 'fleet', file), 'utf8'))) {
        const doc = d.toJS();
        const checked = validateWorkspace(structuredClone(doc));
        expect(checked.ok ? [] : checked.errors, doc.metadata.name).toEqual([]);
        docs.set(doc.metadata.name, doc.spec);
      }
    }
    expect(docs.get(`ann--${template}-old`)).toMatchObject({
      version: { policy: 'Pinned', name: old.latest_build.template_version_name },
      parameters: [
        { name: 'region', value: 'us' },
        { name: 'size', value: 'large' },
      ],
      ttl: '8h',
      dormant: false,
      automaticUpdates: 'never',
    });
    expect(docs.get(`bob--${template}-quiet`)).toMatchObject({
      version: { policy: 'Active' },
      autostart: { enabled: false },
      ttl: '0s',
      running: false,
    });
    expect(docs.get(`carl--${template}-sleepy`)).toMatchObject({ dormant: true, favorite: false });
    expect(docs.get(`dora--${template}-sched`)).toMatchObject({
      autostart: { schedule: '30 8 * * 1-5', timezone: 'Europe/Berlin' },
      ttl: '4h',
      automaticUpdates: 'always',
      favorite: true,
    });

    t.proxy.reset();
    const plan = await t.cli(['plan', '-f', 'fleet']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain('Plan: 0 to create, 4 to adopt, 0 to change, 0 to delete, 0 to orphan, 0 blocked');
    expect(workspaceWrites()).toEqual([]);
    const apply = await t.cli(['apply', '-f', 'fleet']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(workspaceWrites()).toEqual([]);
    const again = await t.cli(['plan', '-f', 'fleet']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(workspaceWrites()).toEqual([]);
  });

  it('refuses an organization coderd does not have, with coderd own reason', async () => {
    const out = await t.cli(['export', '-q', 'organization:no-such-org']);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('organization "no-such-org" either does not exist');
  });
});
