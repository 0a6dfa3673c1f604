// Option parsers shared by the commands: a bad value is reported by commander
// with the option's name and this message.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration.ts';
import { parsePruneLimit, type PruneLimit } from '../gitops/prune-limit.ts';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** `--max-prune`: a count (10), a share of the managed workspaces (25%), or all. */
export function pruneLimit(value: string): PruneLimit {
  const limit = parsePruneLimit(value);
  if (!limit) throw new InvalidArgumentError('must be a number of workspaces (10), a share of the managed ones in scope (25%), or all');
  return limit;
}

/** A Go-style duration (8h, 90m, 10s) in milliseconds. */
export function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
