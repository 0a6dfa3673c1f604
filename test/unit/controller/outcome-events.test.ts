// When to look at a key again, as tables: the build-poll schedule and the
// requeue a reconcile's outcome asks for.
import { describe, expect, it } from 'vitest';
import { CoderApiError } from '../../../src/coder/errors.ts';
import {
  buildPollDelay,
  DEFAULT_BUILD_POLL,
  DEFAULT_RETRY_AFTER_MS,
  requeueFor,
} from '../../../src/controller/workspace/outcome-events.ts';
import { toObserved } from '../../../src/engine/observe.ts';
import { coderWorkspace } from '../engine/fake-coder.ts';

describe('buildPollDelay', () => {
  it.each([
    [0, 250],
    [1, 500],
    [2, 1000],
    [3, 2000],
    [4, 2000],
    [50, 2000],
    [10_000, 2000],
  ])('look %i at a running build waits %i ms by default', (attempt, ms) => {
    expect(buildPollDelay(attempt)).toBe(ms);
  });

  it.each([
    [{ firstMs: 100, maxMs: 1000 }, [100, 200, 400, 800, 1000, 1000]],
    [{ firstMs: 2000, maxMs: 2000 }, [2000, 2000, 2000]],
  ])('schedule %o', (poll, delays) => {
    expect(delays.map((_, i) => buildPollDelay(i, poll))).toEqual(delays);
  });

  it('starts short and never exceeds the old fixed 2 s ceiling', () => {
    expect(DEFAULT_BUILD_POLL.firstMs).toBeLessThanOrEqual(500);
    for (let i = 0; i < 40; i++) expect(buildPollDelay(i)).toBeLessThanOrEqual(2000);
  });
});

describe('requeueFor', () => {
  const building = toObserved({ ...coderWorkspace(), latest_build: { ...coderWorkspace().latest_build, status: 'starting' } }, false);
  const settled = toObserved({ ...coderWorkspace(), latest_build: { ...coderWorkspace().latest_build, status: 'running' } }, false);
  const limited = (retryAfter?: string) =>
    new CoderApiError({
      status: 429,
      method: 'PUT',
      path: '/x',
      response: { message: 'slow down' },
      ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}),
    } as never);
  const boom = new CoderApiError({ status: 500, method: 'PUT', path: '/x', response: { message: 'boom' } });

  it.each<[string, unknown[], typeof building | undefined, unknown]>([
    ['a build running: the poll delay', [], building, { requeueAfter: 250 }],
    ['settled: the next resync', [], settled, {}],
    ['nothing observed: the next resync', [], undefined, {}],
    ['a failure beats the poll: the queue backoff', [boom], building, { error: boom }],
    ['429 without Retry-After: the default wait', [limited()], building, { requeueAfter: DEFAULT_RETRY_AFTER_MS }],
  ])('%s', (_name, failures, observed, expected) => {
    expect(requeueFor(failures, observed, 250)).toEqual(expected);
  });
});
