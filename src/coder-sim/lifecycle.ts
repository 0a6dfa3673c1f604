// Build and job state, derived from the clock instead of timers: a job is
// pending for the first half of its duration, running for the second half,
// then done. Deriving it lazily keeps the simulator deterministic under an
// injected clock and leaves nothing running after close().
import type { ProvisionerJobStatus, WorkspaceStatus } from '../coder/types.ts';
import type { SimBuild, SimWorkspace } from './model.ts';

export function jobStartedAt(build: SimBuild): number {
  return build.createdAt + Math.floor(build.durationMs / 2);
}

export function jobCompletedAt(build: SimBuild): number {
  return build.createdAt + build.durationMs;
}

export function jobStatusAt(build: SimBuild, now: number): ProvisionerJobStatus {
  if (now >= jobCompletedAt(build)) return build.outcome;
  if (now >= jobStartedAt(build)) return 'running';
  return 'pending';
}

export function isJobActive(build: SimBuild, now: number): boolean {
  const status = jobStatusAt(build, now);
  return status === 'pending' || status === 'running' || status === 'canceling';
}

// The mapping of codersdk's convertWorkspaceStatus (coderd/workspacebuilds.go).
export function workspaceStatusAt(build: SimBuild, now: number): WorkspaceStatus {
  const job = jobStatusAt(build, now);
  switch (job) {
    case 'pending':
      return 'pending';
    case 'running':
      return build.transition === 'start' ? 'starting' : build.transition === 'stop' ? 'stopping' : 'deleting';
    case 'succeeded':
      return build.transition === 'start' ? 'running' : build.transition === 'stop' ? 'stopped' : 'deleted';
    case 'canceling':
      return 'canceling';
    case 'canceled':
      return 'canceled';
    default:
      return 'failed';
  }
}

export function latestBuild(ws: SimWorkspace): SimBuild {
  const build = ws.builds[ws.builds.length - 1];
  if (!build) throw new Error(`simulator invariant: workspace ${ws.id} has no build`);
  return build;
}

/**
 * A workspace is deleted once a delete build has succeeded, and stays deleted:
 * only further delete builds are accepted after that (coderd/workspacebuilds.go).
 */
export function isWorkspaceDeleted(ws: SimWorkspace, now: number): boolean {
  return ws.builds.some((b) => b.transition === 'delete' && jobStatusAt(b, now) === 'succeeded');
}

/** When it was deleted, for "most recently deleted" lookups. */
export function deletedAt(ws: SimWorkspace): number {
  const first = ws.builds.find((b) => b.transition === 'delete' && b.outcome === 'succeeded');
  return first ? jobCompletedAt(first) : Number.POSITIVE_INFINITY;
}

/** The deadline of a start build: completion + the ttl it started with, else none. */
export function buildDeadline(build: SimBuild, now: number): number | null {
  if (build.transition !== 'start' || build.deadlineCleared) return null;
  if (build.ttlAtCreateMs === null || build.ttlAtCreateMs <= 0) return null;
  if (jobStatusAt(build, now) !== 'succeeded') return null;
  return jobCompletedAt(build) + build.ttlAtCreateMs;
}
