// n workers pulling keys from a WorkQueue, as controller-runtime's
// reconcileHandler does: an error retries the key with backoff, a success
// resets its backoff, and requeueAfter schedules the next look (e.g. while a
// long-running external job runs) without holding a worker. The queue never hands one key
// to two workers, so a slow key occupies one worker and never blocks others.
// A TerminalError is not retried: its backoff is forgotten and the key waits
// for the next change that enqueues it.
import type { Logger } from 'pino';
import { isTerminal } from './terminal-error.ts';
import type { WorkQueue } from './work-queue.ts';

export type HandlerResult = { requeueAfter?: number } | { error: unknown } | void;

type KeyHandler = (key: string) => Promise<HandlerResult> | HandlerResult;

/** Resolves when every worker has stopped, i.e. after queue.shutDown() and the in-flight keys finished. */
export async function runWorkers(queue: WorkQueue, n: number, handler: KeyHandler, logger: Logger): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`worker count must be a positive integer, got ${n}`);
  await Promise.all(Array.from({ length: n }, (_, i) => worker(queue, handler, logger.child({ worker: i }))));
}

async function worker(queue: WorkQueue, handler: KeyHandler, logger: Logger): Promise<void> {
  for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
    try {
      const result = await settle(handler, key);
      if (result && 'error' in result && isTerminal(result.error)) {
        queue.forget(key);
        logger.info({ key, err: result.error.cause }, 'reconcile failed with an error a retry cannot fix; waiting for a change');
      } else if (result && 'error' in result) {
        queue.addRateLimited(key);
        logger.warn({ key, err: result.error, requeues: queue.numRequeues(key) }, 'reconcile failed; retrying with backoff');
      } else {
        queue.forget(key);
        if (result && result.requeueAfter !== undefined && result.requeueAfter >= 0) queue.addAfter(key, result.requeueAfter);
      }
    } finally {
      queue.done(key);
    }
  }
}

/** A throwing handler counts as returning {error}. */
async function settle(handler: KeyHandler, key: string): Promise<HandlerResult> {
  try {
    return await handler(key);
  } catch (error) {
    return { error };
  }
}
