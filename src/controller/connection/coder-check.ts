// Is the server at a connection's URL a Coder deployment that accepts the
// token? /buildinfo (public) must answer a Coder build info and /users/me (the
// token's proof) a Coder user; anything else is not Ready. What reaches the
// status is only our own words, Coder's bounded and scrubbed message
// (coder/error-body.ts), and a version that looks like a version: a server
// that is not Coder must not be able to write its content into a status.
import type { CoderApi } from '../../coder/api.ts';
import { CoderApiError, isTokenRefused } from '../../coder/errors.ts';
import type { ConnectionState } from './registry.ts';

// v2.27.0, 2.27.0-rc.1, v2.28.0-devel+a1b2c3d: what coderd's buildinfo.Version() gives.
const VERSION = /^v?\d{1,4}\.\d{1,4}\.\d{1,4}(?:[-+][0-9A-Za-z.+-]{1,64})?$/;

export async function checkCoder(api: Pick<CoderApi, 'buildInfo' | 'getUser'>, url: string, secret: string): Promise<ConnectionState> {
  const host = hostOf(url);
  const notCoder = (what: string): ConnectionState => ({
    ready: false,
    reason: 'NotCoder',
    message: `server at ${host} did not answer like a Coder API (${what}); check the connection URL`,
  });
  let step = 'GET /api/v2/buildinfo';
  try {
    const info: unknown = await api.buildInfo();
    const version = isRecord(info) && typeof info.version === 'string' ? info.version : undefined;
    if (version === undefined || !VERSION.test(version)) return notCoder(step);
    step = 'GET /api/v2/users/me';
    const me: unknown = await api.getUser('me'); // /buildinfo is public: this is what proves the token
    if (!isRecord(me) || typeof me.id !== 'string' || typeof me.username !== 'string') return notCoder(step);
    return { ready: true, version, me: { id: me.id, username: me.username } };
  } catch (error) {
    if (isTokenRefused(error))
      return {
        ready: false,
        reason: 'Unauthorized',
        message: `Coder at ${url} refused the token from Secret ${secret} (401); put a valid token in the Secret`,
      };
    // A 2xx that is not JSON, or a refusal of the public /buildinfo that is no overload: not Coder.
    const answeredOddly =
      error instanceof CoderApiError && (error.status < 300 || (step.endsWith('buildinfo') && error.status !== 429 && error.status < 500));
    if (answeredOddly) return notCoder(`${step}, HTTP ${error.status}`);
    return {
      ready: false,
      reason: 'Unreachable',
      message: `cannot reach Coder at ${url}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
