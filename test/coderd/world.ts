// What the real-coderd tier's global setup builds and hands to every test
// file (through vitest's provide/inject, so plain JSON).
import { inject } from 'vitest';
import { CoderApi } from './coder-api.ts';
import type { TemplateSpec } from './bootstrap.ts';

/** Members of the default organization on every server (plus `admin`, the Owner). */
export const MEMBERS = ['ann', 'bob', 'carl', 'dora'] as const;

export const TEMPLATES: { name: string; spec: TemplateSpec; settings: Record<string, unknown> }[] = [
  // Auto-stop after 8 h by default, as most templates in the field do.
  { name: 'docker', spec: {}, settings: { default_ttl_ms: 8 * 3600_000 } },
  { name: 'plain', spec: {}, settings: {} },
  // Two coder_workspace_preset blocks over one mutable parameter (spec.preset).
  {
    name: 'sized',
    spec: {
      parameters: [{ name: 'cpu', type: 'string', default: '2', mutable: true }],
      presets: [
        { name: 'small', parameters: { cpu: '2' } },
        { name: 'large', parameters: { cpu: '8' } },
      ],
    },
    settings: {},
  },
];

/** On the server that allows renames only: Coder's default (the other server) keeps experiments off. */
export const EXPERIMENTS = ['workspace-sharing'];

export interface WorldServer {
  url: string;
  adminToken: string;
  orgId: string;
  /** username -> user id */
  users: Record<string, string>;
  /** template name -> template id */
  templates: Record<string, string>;
  allowRenames: boolean;
  /** --experiments the server runs with. */
  experiments: string[];
}

export interface World {
  version: string;
  echotar: string;
  netns: string;
  /** Interfaces of coderd's network namespace. */
  links: string[];
  servers: WorldServer[];
}

export function world(): World {
  return inject('coderd');
}

/** The server that allows renames (most tests) or the one with Coder's default (renames off). */
export function server(opts: { allowRenames?: boolean } = {}): WorldServer & { admin: CoderApi } {
  const s = world().servers.find((x) => x.allowRenames === (opts.allowRenames ?? true))!;
  return { ...s, admin: new CoderApi(s.url, s.adminToken) };
}
