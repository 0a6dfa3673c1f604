// How many workspaces one `--prune` run may delete. A wrong path, an emptied
// file or a bad merge reads as "these are no longer declared"; past the bound
// the whole run is refused before any write, in the spirit of Argo CD's
// refusal to auto-sync an application to nothing. Orphans do not count: they
// only make the tool forget a workspace, Coder keeps it.
/** A count, a share (percent) of the managed workspaces in scope, or no bound. */
export type PruneLimit = { count: number } | { percent: number } | 'all';

export const DEFAULT_PRUNE_LIMIT: PruneLimit = { count: 10 };

/** `--max-prune` values: `10`, `25%`, `all`; undefined for anything else. */
export function parsePruneLimit(value: string): PruneLimit | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'all') return 'all';
  const percent = /^(\d{1,3})%$/.exec(text);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d{1,9}$/.test(text)) return { count: Number(text) };
  return undefined;
}

export function formatPruneLimit(limit: PruneLimit): string {
  if (limit === 'all') return 'all';
  return 'count' in limit ? String(limit.count) : `${limit.percent}%`;
}

/**
 * Why the run must not go ahead, or undefined. `deletes`: the workspaces the
 * prune would delete; `managed`: how many the state records within the run's
 * scope (what a share is a share of).
 */
export function pruneRefusal(limit: PruneLimit, deletes: number, managed: number): string | undefined {
  if (limit === 'all' || deletes === 0) return undefined;
  const bound = 'count' in limit ? limit.count : Math.floor((managed * limit.percent) / 100);
  if (deletes <= bound) return undefined;
  const share = 'percent' in limit ? ` (${limit.percent}% of the ${managed} managed here)` : '';
  return (
    `prune would delete ${deletes} workspace${deletes === 1 ? '' : 's'}, ` +
    `more than --max-prune ${formatPruneLimit(limit)}${share}; nothing was changed in Coder. ` +
    'If that is meant, run again with a higher --max-prune, or --max-prune all'
  );
}
