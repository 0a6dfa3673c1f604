import type { ScenarioResult } from './cli-mode.ts';
export async function runOperatorMode(_n: number, _s: Set<string>, _o: { resync: string; deadlineS: number }, _log: (s: string) => void): Promise<ScenarioResult[]> {
  return [];
}
