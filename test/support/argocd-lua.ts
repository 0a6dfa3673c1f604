// Runs an Argo CD health check (examples/argocd/*-health.lua) as Argo CD
// loads it, with a real Lua 5.4: the script as a chunk whose only extra
// global is `obj`, the object written out as a Lua table. The checks stay one
// standalone script per kind (Argo CD takes nothing else); this runner is what
// their tests share.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** The Lua interpreter on this machine, if any (CI installs lua5.4; see requiredOnCi in each test). */
export const LUA = ['lua5.4', 'lua'].find((bin) => spawnSync(bin, ['-v']).status === 0);

export interface Health {
  status: string;
  message: string;
}

/** Loads the check with `obj` as its only extra global and prints {status, message} as JSON. */
function wrapper(chunkName: string): string {
  return `
local src = assert(io.open(arg[1])):read("a")
local obj = dofile(arg[2])
local env = setmetatable({ obj = obj }, { __index = _G })
local hs = assert(load(src, ${JSON.stringify(chunkName)}, "t", env))()
local function q(s) return '"' .. tostring(s):gsub('[%c"\\\\]', function(c) return string.format("\\\\u%04x", c:byte()) end) .. '"' end
print('{"status":' .. q(hs.status) .. ',"message":' .. q(hs.message) .. '}')
`;
}

function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value); // a JSON string of ASCII + \\uXXXX-free text is a Lua string
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

/** The health the check at `script` gives an object; call at the top of a test file (it registers its temp dir's hooks). */
export function argoCdHealthCheck(script: string): (obj: Record<string, unknown>) => Promise<Health> {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cwo-lua-'));
    await writeFile(join(dir, 'wrapper.lua'), wrapper(basename(script)));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return async (obj) => {
    const fixture = join(dir, `fixture-${++n}.lua`);
    await writeFile(fixture, `return ${toLua(obj)}\n`);
    return JSON.parse(execFileSync(LUA!, [join(dir, 'wrapper.lua'), script, fixture], { encoding: 'utf8' })) as Health;
  };
}
