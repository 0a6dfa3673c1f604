// The CLI takes its Coder and its rollout policy from flags, not from the
// CoderConnections it finds among the files (the examples ship one). A
// policy it silently ignored would roll updates out faster than the file
// says, so it says so, with the flags that would do the same.
import type { RolloutPolicy } from '../api/schema.ts';
import type { IgnoredDocument } from '../gitops/load.ts';

export function connectionRolloutWarnings(ignored: IgnoredDocument[]): string[] {
  return ignored
    .filter((d) => d.rollout !== undefined)
    .map(
      (d) =>
        `${d.file}: document ${d.document}: ${d.kind}${d.name ? ` ${d.name}` : ''}: spec.rollout is not read by the CLI ` +
        `(only the operator reads it); for the same rollout pass ${rolloutFlags(d.rollout!)}`,
    );
}

function rolloutFlags(r: RolloutPolicy): string {
  const flags: string[] = [];
  if (r.maxUnavailable !== undefined) flags.push(`--max-unavailable ${r.maxUnavailable}`);
  if (r.window) {
    flags.push(`--window-schedule ${JSON.stringify(r.window.schedule)}`, `--window-duration ${r.window.duration}`);
    if (r.window.timezone) flags.push(`--window-timezone ${r.window.timezone}`);
  }
  if (r.onlyWhenStopped) flags.push('--only-when-stopped');
  return flags.length > 0 ? flags.join(' ') : 'no rollout flags (the policy is empty)';
}
