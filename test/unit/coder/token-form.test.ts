// A token's form is checked before it is used (issue 18 item 4): fetch quotes
// a header value it refuses, so a value no header can carry must never reach
// it, and the error must say what is wrong without the value.
import { describe, expect, it } from 'vitest';
import { CoderClient } from '../../../src/coder/client.ts';
import { acceptToken, tokenFormProblem } from '../../../src/coder/session-token.ts';
import { scrub } from '../../../src/observability/logger.ts';

describe('tokenFormProblem', () => {
  it.each(['abcdefghij-ABCDEFGHIJKLMNOPQRSTUV', 'x'.repeat(4096), 'a.b_c~d+e/f=g'])('accepts %s', (token) => {
    expect(tokenFormProblem(token)).toBeUndefined();
  });

  it.each([
    ['a second line', 'qzx-first-line\nsecond-line', /more than one line/],
    ['a carriage return', 'qzx-first-line\rsecond', /more than one line/],
    ['a tab', 'qzx-token\twith-tab', /white space/],
    ['a space', 'qzx-token with-space', /white space/],
    ['a non-ASCII letter', 'qzx-tökenvalue', /non-ASCII/],
    ['a NUL', 'qzx-token\u0000value', /control character/],
    ['a huge value', 'qzx'.repeat(1366), /4098 characters long/],
  ])('refuses %s, without quoting it', (_name, token, why) => {
    const problem = tokenFormProblem(token);
    expect(problem).toMatch(why);
    expect(problem).not.toContain('qzx');
  });
});

describe('acceptToken', () => {
  it('registers the value and each of its parts for scrubbing', () => {
    acceptToken('  part-one-abcdefgh\npart-two-ijklmnop\n');
    expect(scrub('a: part-one-abcdefgh\npart-two-ijklmnop')).toBe('a: [REDACTED]');
    expect(scrub('b: part-two-ijklmnop')).toBe('b: [REDACTED]');
  });
});

describe('CoderClient', () => {
  it('refuses a token no HTTP header can carry, before any request and without quoting it (both doors)', () => {
    const make = () => new CoderClient({ url: 'http://127.0.0.1:9', token: 'line-one-token-value\nline-two' });
    expect(make).toThrow('the Coder token is not usable: it spans more than one line');
    expect(() => make()).not.toThrow(/line-one/);
  });
});
