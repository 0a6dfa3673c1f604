// Which spec field a refused create names: a 404 from the template lookup
// and a 404 (or v2.27's 400) from the create itself carry the same generic
// Coder message, so the failing request decides.
import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import { describeFailure } from '../../../src/engine/failure.ts';
import type { Action } from '../../../src/engine/types.ts';

const create: Action = {
  kind: 'create',
  recreate: false,
  create: { owner: 'ann', name: 'dev', template: 'no-such', parameters: [] },
};
const NOT_FOUND = 'Resource not found or you do not have access to this resource';
const answer = (status: number, method: string, path: string, message: string) =>
  new CoderApiError({ status, method, path, response: { message, validations: [] } });

describe('describeFailure of a create', () => {
  it.each([
    [
      'template lookup 404',
      answer(404, 'GET', '/api/v2/organizations/0000/templates/no-such', NOT_FOUND),
      'spec.template',
      /no template "no-such"/,
    ],
    ['create 404 (recent Coder)', answer(404, 'POST', '/api/v2/users/ann/workspaces', NOT_FOUND), 'spec.owner', /no user "ann"/],
    [
      'create 400 (v2.27.0)',
      answer(400, 'POST', '/api/v2/users/ann/workspaces', '"user" must be an existing uuid or username.'),
      'spec.owner',
      /no user "ann"/,
    ],
  ])('%s names %s', (_name, error, field, message) => {
    const failure = describeFailure(create, error);
    expect(failure).toMatchObject({ reason: 'NotFound', field });
    expect(failure.message).toMatch(message);
  });
});
