// Runs the real `git` binary. Why git and not isomorphic-git: git is on every
// machine and CI image we target, speaks every transport (https, ssh, file,
// local paths) with the server-side features users rely on (partial fetches,
// LFS-free reads, proxies, corporate CA bundles via the usual config), and
// its behaviour on force-pushes and deleted refs is the one users know.
//
// Always execFile-style (an argument vector, never a shell string), with a
// timeout, no terminal prompts, and credentials only in the environment
// (GIT_CONFIG_* and GIT_SSH_COMMAND), never on the command line where `ps`
// would show them. Every message that leaves this file is scrubbed.
import { spawn } from 'node:child_process';
import { scrub } from '../observability/logger.ts';

export class GitError extends Error {
  override name = 'GitError';
  readonly exitCode: number | null;
  constructor(message: string, exitCode: number | null) {
    super(message);
    this.exitCode = exitCode;
  }
}

interface GitRunOptions {
  /** Repository (or working directory) to run in: `git -C dir`. */
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Written to git's stdin (cat-file --batch). */
  input?: string;
  timeoutMs: number;
  /** Exit codes that are answers, not failures (merge-base --is-ancestor answers 1 for "no"). */
  okCodes?: number[];
}

interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Strips `user:password@` from URLs in a text, on top of scrubbing registered secrets. */
function scrubGitText(text: string): string {
  return scrub(text).replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

export function runGit(args: string[], opts: GitRunOptions): Promise<GitResult> {
  const argv = opts.cwd ? ['-C', opts.cwd, ...args] : args;
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', argv, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new GitError(`cannot run git: ${(e as NodeJS.ErrnoException).code ?? e.message}`, null));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const what = `git ${args[0] ?? ''}`;
      if (timedOut) return reject(new GitError(`${what} did not finish within ${Math.round(opts.timeoutMs / 1000)}s`, null));
      const ok = code === 0 || (code !== null && (opts.okCodes ?? []).includes(code));
      if (!ok) return reject(new GitError(`${what} failed: ${firstLines(scrubGitText(err)) || `exit code ${code}`}`, code));
      resolvePromise({ code: code ?? 0, stdout: Buffer.concat(out), stderr: scrubGitText(err) });
    });
    child.stdin.on('error', () => undefined); // git may exit before reading all input; the exit code tells
    child.stdin.end(opts.input ?? '');
  });
}

/** git's own messages, without its hints, on one line: enough to act on. */
function firstLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'))
    .slice(0, 3)
    .join('; ');
}
