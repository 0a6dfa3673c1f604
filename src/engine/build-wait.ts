// Waiting for a build to end, through the adapter: a delete is final only when
// its build succeeds (docs/coder-api.md: Builds), and the CLI's lifecycle waits
// for each build before it plans the next. One loop for both.
import type { ExternalWorkspaces } from './external.ts';

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** A time (epoch ms) to give up earlier, read at every poll (an interrupt's grace period); undefined: none. */
  stopAt?: () => number | undefined;
}

const ENDED = new Set(['succeeded', 'failed', 'canceled']);

/** Polls the build until its job ends; returns the final job status, or 'timeout'. */
export async function waitForBuild(builds: Pick<ExternalWorkspaces, 'buildStatus'>, buildId: string, opts: WaitOptions): Promise<string> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const status = await builds.buildStatus(buildId);
    if (ENDED.has(status)) return status;
    const at = now();
    const stop = opts.stopAt?.();
    if (at >= deadline || (stop !== undefined && at >= stop)) return 'timeout';
    await sleep(opts.pollMs);
  }
}
