// The result row of one measured run of the CLI against the simulator, as the
// CLI modes (export, plan-scale, workspaceset-cli) report it: the child's
// wall, CPU and peak RSS, its exit code, and the Coder calls the simulator
// counted. Each mode adds its own figures and notes.
import type { ScenarioResult } from './cli-mode.ts';
import type { CallSummary, Measured } from './lib.ts';

export function cliRunResult(
  scenario: string,
  n: number,
  m: Measured,
  calls: CallSummary,
  ok: boolean,
  extra: ScenarioResult['extra'],
): ScenarioResult {
  return {
    mode: 'cli',
    scenario,
    n,
    latencyMs: 0,
    ok,
    wallMs: m.wallMs,
    cpuMs: m.cpuMs,
    peakRssMb: m.maxRssMb,
    reads: calls.reads,
    writes: calls.writes,
    byRoute: calls.byRoute,
    extra: { exitCode: m.code, ...extra },
    notes: [],
  };
}
