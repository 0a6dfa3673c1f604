// A bound on calls that client-node cannot cancel (a list that never answers
// would otherwise stall an informer, a lease update hold a stale leader). The
// call keeps running; its late result is ignored.
import { systemClock, type Clock } from './clock.ts';

class CallTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    // Not 'TimeoutError': client-node reads that name as its own watch timeout.
    this.name = 'CallTimeoutError';
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new CallTimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
