// The swagger a running coderd serves says basePath "/api/v2" and leaves the
// prefix out of its paths; the contract matches client paths either way.
import { describe, expect, it } from 'vitest';
import { SwaggerContract } from '../../../src/coder-sim/contract.ts';

const op = { get: { responses: { '200': {} } } };

describe('SwaggerContract paths', () => {
  it.each([
    ['served by coderd', { basePath: '/api/v2', paths: { '/users/{user}': op } }],
    ['published with prefixed paths', { basePath: '/', paths: { '/api/v2/users/{user}': op } }],
    ['without a basePath', { paths: { '/api/v2/users/{user}': op } }],
  ])('%s: /api/v2/users/me matches /api/v2/users/{user}', (_name, doc) => {
    const contract = new SwaggerContract({ definitions: {}, ...doc });
    expect(contract.matchOperation('GET', '/api/v2/users/me')?.route).toBe('/api/v2/users/{user}');
    expect(contract.matchOperation('GET', '/users/me')).toBeUndefined();
  });
});
