// Progress of an apply. On a terminal: a cli-progress bar (workspaces done of
// the total, failed, rate, ETA, and a note while the client waits for
// Coder's rate limit), with each change printed above it. Otherwise (a CI
// log, a file): each change on its own line and, every few seconds, one
// plain progress line, so a long run shows it is alive without a bar's
// escape codes in the log.
import { MultiBar, type SingleBar } from 'cli-progress';
import type { ChalkInstance } from 'chalk';
import type { ActionOutcome, WorkspacePlan } from '../engine/index.ts';
import type { PlanReport } from '../gitops/run.ts';

interface ProgressStreams {
  /** Where the changes go (stdout). */
  out: NodeJS.WriteStream;
  /** Where the bar or the periodic line goes (stderr), so stdout stays the record of changes. */
  err: NodeJS.WriteStream;
  colours: ChalkInstance;
  /** How often the plain line is printed when err is not a terminal. */
  intervalMs?: number;
  now?: () => number;
}

/** A rate-limit wait shorter than this is normal pacing, not worth a note. */
const NOTABLE_WAIT_MS = 1_000;

export class ApplyProgress {
  readonly #s: ProgressStreams;
  readonly #now: () => number;
  readonly #expected = new Map<string, number>();
  readonly #seen = new Map<string, number>();
  readonly #done = new Set<string>();
  readonly #failed = new Set<string>();
  #total = 0;
  #startedAt = 0;
  #waitUntil = 0;
  #multi: MultiBar | undefined;
  #bar: SingleBar | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(streams: ProgressStreams) {
    this.#s = streams;
    this.#now = streams.now ?? Date.now;
  }

  /** After planning: the workspaces that have something to do are the total. */
  start(report: PlanReport): void {
    const withActions = (p: WorkspacePlan) => p.actions.length > 0;
    for (const p of report.plans.filter(withActions)) this.#expected.set(p.key, p.actions.length);
    for (const p of report.prunes.map((x) => x.plan).filter(withActions)) this.#expected.set(p.key, p.actions.length);
    this.#total = this.#expected.size;
    this.#startedAt = this.#now();
    if (this.#total === 0) return;
    if (this.#s.err.isTTY) {
      const c = this.#s.colours;
      this.#multi = new MultiBar({
        stream: this.#s.err,
        format: `${c.cyan('{bar}')} {value}/{total} workspaces | ${c.red('{failed} failed')} | {rate}/s | ETA {eta_formatted}{note}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        etaBuffer: 100,
        etaAsynchronousUpdate: true,
        fps: 5,
        clearOnComplete: false,
        stopOnComplete: false,
      });
      this.#bar = this.#multi.create(this.#total, 0, this.#payload());
      // The rate and the rate-limit note change while no outcome arrives.
      this.#timer = setInterval(() => this.#bar?.update(this.#payload()), 1_000);
      this.#timer.unref();
    } else {
      this.#timer = setInterval(() => this.#s.err.write(`${this.plainLine()}\n`), this.#s.intervalMs ?? 5_000);
      this.#timer.unref();
    }
  }

  /** One action's outcome, printed as `line` (none with -o json). */
  outcome(key: string, outcome: ActionOutcome, line: string | undefined): void {
    if (line !== undefined) this.#print(line);
    if (!outcome.ok && !outcome.skipped) this.#failed.add(key);
    const seen = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, seen);
    // Builds a lifecycle adds later (the start after a stop) count to their workspace, once it is done.
    if (seen >= (this.#expected.get(key) ?? 1) && !this.#failed.has(key)) this.#done.add(key);
    this.#bar?.update(this.#finished(), this.#payload());
  }

  /** The client holds requests back for Coder's rate limit (src/coder/rate-limit.ts onWait). */
  waiting(ms: number): void {
    if (ms < NOTABLE_WAIT_MS) return;
    this.#waitUntil = Math.max(this.#waitUntil, this.#now() + ms);
    this.#bar?.update(this.#payload());
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#bar) this.#bar.update(this.#finished(), { ...this.#payload(), note: '' });
    // A render first: lines logged since the last frame are written only by one.
    this.#multi?.update();
    this.#multi?.stop();
    this.#multi = undefined;
    this.#bar = undefined;
  }

  /** `progress: 120/500 workspaces (24%), 2 failed, 11.8/s, about 32s left`. */
  plainLine(): string {
    const finished = this.#finished();
    const pct = this.#total > 0 ? Math.floor((finished * 100) / this.#total) : 100;
    const rate = this.#rate();
    const left = rate > 0 ? `about ${formatSeconds((this.#total - finished) / rate)} left` : 'ETA unknown';
    return `progress: ${finished}/${this.#total} workspaces (${pct}%), ${this.#failed.size} failed, ${rate.toFixed(1)}/s, ${left}${this.#note()}`;
  }

  #print(line: string): void {
    // On one terminal the bar redraws below the lines it prints.
    if (this.#multi && this.#s.out.isTTY) this.#multi.log(`${line}\n`);
    else this.#s.out.write(`${line}\n`);
  }

  #finished(): number {
    let n = this.#done.size;
    for (const key of this.#failed) if (!this.#done.has(key)) n++;
    return Math.min(n, this.#total);
  }

  #rate(): number {
    const seconds = (this.#now() - this.#startedAt) / 1000;
    return seconds > 0 ? this.#finished() / seconds : 0;
  }

  #note(): string {
    const left = this.#waitUntil - this.#now();
    return left > 0 ? `; waiting for Coder's rate limit (${formatSeconds(left / 1000)})` : '';
  }

  #payload(): { failed: number; rate: string; note: string } {
    return { failed: this.#failed.size, rate: this.#rate().toFixed(1), note: this.#note() ? ` | ${this.#note().slice(2)}` : '' };
  }
}

function formatSeconds(s: number): string {
  const whole = Math.ceil(s);
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}
