// Option parsers shared by the commands: a bad value is reported by commander
// with the option's name and this message.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration.ts';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** A Go-style duration (8h, 90m, 10s) in milliseconds. */
export function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
