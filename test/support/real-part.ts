// Some tests need a part from outside this repository: Coder's swagger.json
// (../shared/coder-api, or CODER_SWAGGER), a Lua interpreter. Where the part
// is missing they skip with a message, so a laptop without it can still run
// the rest. On CI (CI=true, as .ci/run sets) the part must be there: a skip
// would pass silently and the run would look green without having checked
// anything, so there the missing part fails the run instead.
import { expect, it } from 'vitest';

export const ON_CI = process.env.CI === 'true';

/**
 * Says once what is missing and how to get it, and registers a test that
 * fails on CI when `present` is false (skipped elsewhere). Call it at the top
 * level of every file whose tests skip without the part.
 */
export function requiredOnCi(part: string, present: boolean, howToGet: string): void {
  if (!present)
    console.warn(`[${part}] missing: ${howToGet}. The tests that need it are skipped${ON_CI ? '; on CI that fails the run' : ''}.`);
  it.runIf(ON_CI)(`${part} is present on CI (its tests must not skip there)`, () => {
    expect(present, `${part} is missing: ${howToGet}`).toBe(true);
  });
}
