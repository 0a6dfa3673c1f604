// Create on the version spec.version names, so no update follows the create.
import { describe, expect, it } from 'vitest';
import { CreateResolver } from '../../../src/engine/resolve.ts';
import type { CreatePlan } from '../../../src/engine/types.ts';
import { FakeCoder } from './fake-coder.ts';
import { overridden, type Overrides } from '../../support/overrides.ts';

const V2 = '88888888-8888-4888-8888-888888888888';
const TV = '99999999-9999-4999-8999-999999999999';

function plan(overrides: Overrides<CreatePlan>): CreatePlan {
  return overridden<CreatePlan>({ owner: 'alice', name: 'dev', template: 'docker', parameters: [] }, overrides);
}

describe('CreateResolver and spec.version', () => {
  it.each<[string, Overrides<CreatePlan>, Record<string, unknown>, string[]]>([
    ['no version: the template (its active version)', {}, { template_id: 'tpl-1' }, ['getOrganization', 'getTemplateByName']],
    ['Active: the template', { version: { policy: 'Active' } }, { template_id: 'tpl-1' }, ['getOrganization', 'getTemplateByName']],
    ['Pinned id: that version, no lookup', { version: { policy: 'Pinned', id: V2 } }, { template_version_id: V2 }, []],
    [
      'Pinned name: looked up on the template',
      { version: { policy: 'Pinned', name: 'v2' } },
      { template_version_id: V2 },
      ['getOrganization', 'getTemplateByName', 'getTemplateVersionByName'],
    ],
    [
      'templateVersion with Active: the template of that version',
      { template: undefined, templateVersion: TV, version: { policy: 'Active' } },
      { template_id: 'tpl-of-tv' },
      ['getTemplateVersion'],
    ],
  ])('%s', async (_name, overrides, expected, calls) => {
    const coder = new FakeCoder();
    coder.versionsByName = { v2: V2 };
    coder.getTemplateVersion = (id: string) => {
      coder.calls.push({ method: 'getTemplateVersion', args: [id] });
      return Promise.resolve({
        id,
        name: 'tv',
        template_id: 'tpl-of-tv',
        archived: false,
        job: { id: 'j', status: 'succeeded' as const, created_at: '' },
        created_at: '',
        updated_at: '',
      });
    };
    const p = plan(overrides);
    const req = await new CreateResolver(coder).createRequest(p);
    expect(req).toEqual({ name: 'dev', ...expected });
    expect(coder.calls.map((c) => c.method)).toEqual(calls);
  });
});
