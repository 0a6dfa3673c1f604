// The one way tests wait for something: try the probe until it returns a
// value, or fail naming what was awaited. Tests assert order and counts, not
// durations, so a timeout here is a hang guard: set it well above how long
// the wait takes on a loaded machine, never as a measure of speed.

/** Thrown by a probe that knows the wait can never succeed (a process died, a job failed): no more tries. */
export class GiveUp extends Error {}

export interface EventuallyOptions {
  /** Pause between tries. Default 100 ms. */
  everyMs?: number;
  /** Appended to the timeout error, e.g. a log's tail. */
  detail?: () => string | Promise<string>;
}

/**
 * Resolves with the probe's first value other than undefined and false. A
 * probe that throws is tried again (the error is kept for the message),
 * unless it throws GiveUp. It is tried at least once, and once after the
 * deadline passed, so a slow probe still gets its last word.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  opts: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const late = Date.now() > deadline;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof GiveUp)
        throw new Error(`gave up waiting for ${what}: ${error.message}${await detailOf(opts)}`, { cause: error });
      last = error;
    }
    if (late)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}${await detailOf(opts)}`,
      );
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}

async function detailOf(opts: EventuallyOptions): Promise<string> {
  const text = await Promise.resolve()
    .then(() => opts.detail?.())
    .catch((e: unknown) => `(no detail: ${String(e)})`);
  return text ? `\n${text}` : '';
}
