// Runs an Argo CD resource health check (a Lua script from examples/argocd)
// with a real Lua 5.4, as Argo CD loads it: the script's body as a function
// whose only extra global is `obj`. The object is written out as a Lua table
// literal, so the check reads exactly what a test built, nothing converted.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** The Lua interpreter on PATH, if any (pass `LUA !== undefined` to requiredOnCi). */
export const LUA = ['lua5.4', 'lua'].find((bin) => spawnSync(bin, ['-v']).status === 0);

export interface Health {
  status: string;
  message: string;
}

/** Loads the check (arg 1) with the table returned by arg 2 as `obj` and prints {status, message} as JSON. */
const wrapper = (chunkName: string) => `
local src = assert(io.open(arg[1])):read("a")
local obj = dofile(arg[2])
local env = setmetatable({ obj = obj }, { __index = _G })
local hs = assert(load(src, ${JSON.stringify(chunkName)}, "t", env))()
local function q(s) return '"' .. tostring(s):gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"' end
print('{"status":' .. q(hs.status) .. ',"message":' .. q(hs.message) .. '}')
`;

function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value); // a JSON string of ASCII + \\uXXXX-free text is a Lua string
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

/**
 * Registers a temp dir for the calling file (beforeAll/afterAll) and returns
 * the check at `checkFile` as a function of the object it judges. Call it
 * only where LUA is defined.
 */
export function argoHealthCheck(checkFile: string): (obj: Record<string, unknown>) => Promise<Health> {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cwo-lua-'));
    await writeFile(join(dir, 'wrapper.lua'), wrapper(basename(checkFile)));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return async (obj) => {
    const fixture = join(dir, `fixture-${++n}.lua`);
    await writeFile(fixture, `return ${toLua(obj)}\n`);
    return JSON.parse(execFileSync(LUA!, [join(dir, 'wrapper.lua'), checkFile, fixture], { encoding: 'utf8' }));
  };
}
