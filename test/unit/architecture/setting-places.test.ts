// A managed setting lives in its places (issue 20): the schema (with its
// cross-field rules), its table entry plus its row in the table, and, for a
// Coder feature the simulator plays as a module, its simulator handler plus
// its one registration line. This lists, for each entry of the table, the
// src/ files whose code names it (identifiers and string literals, read with
// the TypeScript parser, comments left out) and fails when it names it
// anywhere else. The settings that predate the table still have places
// outside it; those are listed as KNOWN_ELSEWHERE, a list that may only
// shrink (a file that stops naming a setting must leave it too).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BUILD_SETTINGS, SETTING_KINDS, type SettingKind } from '../../../src/engine/settings/index.ts';

const SRC = resolve(import.meta.dirname, '../../../src');

/** How code names a setting: identifiers, and the text of string and template literals. */
interface Names {
  identifier: RegExp;
  text: RegExp;
}

interface Places {
  names: Names;
  /** Its table entry (engine/settings/); it may also be named on at most two lines of settings/index.ts (import, row). */
  entry: string;
  /** Its simulator feature module; it may also be named on at most two lines of coder-sim/features.ts (import, row). */
  simulator: string | undefined;
  /** Files outside its places that name it today: debt that may only shrink. */
  knownElsewhere: readonly string[];
}

/** The schema's place: the typed schema and its cross-field rules (api/ may not import the engine). */
const SCHEMA = ['api/schema.ts', 'api/workspace-rules.ts'];
const TABLE = 'engine/settings/index.ts';
const SIM_REGISTRY = 'coder-sim/features.ts';

/** Every entry of the table, by action kind (a new one without a row here fails the first test). */
const PLACES: Record<SettingKind, Places> = {
  sharing: {
    names: { identifier: /sharing|acl/i, text: /sharing|\/acl\b|shared_with(?!_)|user_roles|group_roles/ },
    entry: 'engine/settings/sharing.ts',
    simulator: 'coder-sim/handlers/workspace-sharing.ts',
    knownElsewhere: [],
  },
  favorite: {
    names: { identifier: /favorite/i, text: /favorite/i },
    entry: 'engine/settings/favorite.ts',
    simulator: undefined,
    knownElsewhere: [
      // Coder's side: the client's method, the owner tokens a favorite needs, the wire type.
      'coder/api.ts',
      'coder/client.ts',
      'coder/owner-api.ts',
      'coder/owner-token-scopes.ts',
      'coder/owner-tokens.ts',
      'coder/types.ts',
      // The owner's list is read per owner, not per workspace (no SettingRead shape yet).
      'engine/engine.ts',
      'engine/external.ts',
      'engine/failure.ts',
      'engine/observe.ts',
      'engine/status.ts',
      'engine/types.ts',
      'controller/workspace/resync.ts',
      'controller/workspace/sync.ts',
      'gitops/lifecycle-run.ts',
      'gitops/slips.ts',
      'gitops/export.ts',
      'gitops/export-document.ts',
      'cli/export-command.ts',
      'coder-sim/convert.ts',
      'coder-sim/model.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder-sim/handlers/workspace-read.ts',
      'coder-sim/handlers/workspace-settings.ts',
    ],
  },
  dormant: {
    names: { identifier: /dormant/i, text: /dormant/i },
    entry: 'engine/settings/dormant.ts',
    simulator: undefined,
    knownElsewhere: [
      'coder/api.ts',
      'coder/client.ts',
      'coder/owner-token-scopes.ts',
      'coder/types.ts',
      // Dormancy is also a lifecycle fact (a dormant workspace's builds, deletingAt in the status).
      'engine/apply.ts',
      'engine/lifecycle.ts',
      'engine/observe.ts',
      'engine/status.ts',
      'engine/types.ts',
      'cli/status-table.ts',
      'gitops/export-document.ts',
      'gitops/slips.ts',
      'coder-sim/contract.ts',
      'coder-sim/convert.ts',
      'coder-sim/model.ts',
      'coder-sim/search-query.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder-sim/user-query.ts',
      'coder-sim/versions.ts',
      'coder-sim/handlers/builds.ts',
      'coder-sim/handlers/workspace-read.ts',
      'coder-sim/handlers/workspace-settings.ts',
    ],
  },
  ttl: {
    names: { identifier: /^ttl|ttlMs|Ttl(Ms|Setting)?$|^setTtl$/, text: /\bttl(_ms)?\b/ },
    entry: 'engine/settings/ttl.ts',
    simulator: undefined,
    knownElsewhere: [
      // How Coder shows it (observe.ts), the create call (resolve.ts), the lifecycle's deadline, export, the simulator's own handlers.
      'api/duration.ts',
      'cli/create-settings.ts',
      'coder-sim/convert.ts',
      'coder-sim/handlers/ttl-rules.ts',
      'coder-sim/handlers/workspace-create.ts',
      'coder-sim/handlers/workspace-settings.ts',
      'coder-sim/lifecycle.ts',
      'coder-sim/model.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder-sim/versions.ts',
      'coder/api.ts',
      'coder/client.ts',
      'coder/types.ts',
      'engine/lifecycle.ts',
      'engine/observe.ts',
      'engine/resolve.ts',
      'engine/types.ts',
      'gitops/export-document.ts',
      'gitops/slips.ts',
    ],
  },
  autostart: {
    names: { identifier: /autostart/i, text: /autostart/i },
    entry: 'engine/settings/autostart.ts',
    simulator: undefined,
    knownElsewhere: [
      // How Coder shows it (observe.ts), the create call (resolve.ts), the schedule's conflicts (lifecycle.ts), export, the simulator.
      'api/schedule.ts',
      'cli/create-settings.ts',
      'coder-sim/convert.ts',
      'coder-sim/handlers/workspace-create.ts',
      'coder-sim/handlers/workspace-settings.ts',
      'coder-sim/model.ts',
      'coder-sim/schedule.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder/api.ts',
      'coder/client.ts',
      'coder/types.ts',
      'engine/lifecycle.ts',
      'engine/observe.ts',
      'engine/resolve.ts',
      'engine/status.ts',
      'engine/types.ts',
      'gitops/export-document.ts',
    ],
  },
  autoupdates: {
    names: { identifier: /automaticUpdates|autoupdates/i, text: /automatic_?updates|autoupdates/i },
    entry: 'engine/settings/automatic-updates.ts',
    simulator: undefined,
    knownElsewhere: [
      // How Coder shows it (observe.ts), the create call (resolve.ts), export, the simulator.
      'cli/create-settings.ts',
      'coder-sim/convert.ts',
      'coder-sim/handlers/workspace-create.ts',
      'coder-sim/handlers/workspace-settings.ts',
      'coder-sim/model.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder/api.ts',
      'coder/client.ts',
      'coder/types.ts',
      'engine/observe.ts',
      'engine/resolve.ts',
      'engine/types.ts',
      'gitops/export-document.ts',
    ],
  },
  rename: {
    names: {
      identifier: /renameWorkspace|allowRenames|RenamesDisabled|nameSetting/,
      text: /allow_renames|RenamesDisabled|allow-workspace-renames/,
    },
    entry: 'engine/settings/name.ts',
    simulator: undefined,
    knownElsewhere: [
      // allow_renames as Coder shows it, the simulator's --allow-workspace-renames, the connection's status of it.
      'coder-sim/convert.ts',
      'coder-sim/handlers/workspace-settings.ts',
      'coder-sim/index.ts',
      'coder-sim/main.ts',
      'coder-sim/state.ts',
      'coder-sim/types.ts',
      'coder/api.ts',
      'coder/client.ts',
      'controller/connection/registry.ts',
      'controller/connection/status-writer.ts',
      'engine/observe.ts',
      'engine/types.ts',
    ],
  },
};

/**
 * The settings a build carries (BUILD_SETTINGS: a preset), by spec field. A
 * preset is part of every build, so the build's own path (how Coder shows a
 * build, the request apply sends, the lifecycle that decides, the reads it
 * needs) and the simulator's build handlers name it too.
 */
const BUILD_PLACES: Record<string, Places> = {
  preset: {
    names: { identifier: /preset/i, text: /preset/i },
    entry: 'engine/settings/preset.ts',
    simulator: undefined,
    knownElsewhere: [
      // The build as Coder shows it and as apply sends it.
      'coder/types.ts',
      'engine/observe.ts',
      'engine/types.ts',
      'engine/apply.ts',
      // The lifecycle decides what a build carries, with the version's presets it reads; the create resolver.
      'engine/lifecycle.ts',
      'engine/lifecycle-context.ts',
      'engine/external.ts',
      'engine/resolve.ts',
      // The simulator's builds, creates and versions carry presets (no feature module yet).
      'coder-sim/contract.ts',
      'coder-sim/convert.ts',
      'coder-sim/handlers/builds.ts',
      'coder-sim/handlers/template-versions.ts',
      'coder-sim/handlers/workspace-create.ts',
      'coder-sim/model.ts',
      'coder-sim/responses.ts',
      'coder-sim/seed.ts',
      'coder-sim/state.ts',
      'coder-sim/versions.ts',
    ],
  },
};

interface Parsed {
  file: string;
  identifiers: Array<{ text: string; line: number }>;
  literals: Array<{ text: string; line: number }>;
}

/** Every .ts file of src/, its identifiers and literal texts with their lines; comments are not nodes, so they are left out. */
function parseSrc(): Parsed[] {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.map((file) => parseOne(file, readFileSync(join(SRC, file), 'utf8')));
}

function parseOne(file: string, source: string): Parsed {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: Parsed = { file: file.split('\\').join('/'), identifiers: [], literals: [] };
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) out.identifiers.push({ text: n.text, line: lineOf(n) });
    else if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateLiteralToken(n))
      out.literals.push({ text: n.text, line: lineOf(n) });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The lines of a file whose code names the setting. */
function namingLines(parsed: Parsed, names: Names): Set<number> {
  const lines = new Set<number>();
  for (const i of parsed.identifiers) if (names.identifier.test(i.text)) lines.add(i.line);
  for (const l of parsed.literals) if (names.text.test(l.text)) lines.add(l.line);
  return lines;
}

/** file → lines naming the setting, for every file of src/ that names it. */
function placesOf(all: Parsed[], names: Names): Map<string, Set<number>> {
  const found = new Map<string, Set<number>>();
  for (const parsed of all) {
    const lines = namingLines(parsed, names);
    if (lines.size > 0) found.set(parsed.file, lines);
  }
  return found;
}

/** What is wrong with where a setting is named; [] when it keeps to its places. */
function strayPlaces(kind: string, places: Places, found: Map<string, Set<number>>): string[] {
  const at = (lines: Set<number>) => [...lines].sort((a, b) => a - b).join(', ');
  const own = new Set([...SCHEMA, places.entry, ...(places.simulator ? [places.simulator] : [])]);
  const problems: string[] = [];
  for (const [file, lines] of found) {
    if (own.has(file) || places.knownElsewhere.includes(file)) continue;
    if (file === TABLE || (file === SIM_REGISTRY && places.simulator)) {
      if (lines.size > 2) problems.push(`${kind}: ${file} names it on ${lines.size} lines (${at(lines)}); only its import and its row`);
      continue;
    }
    problems.push(`${kind}: ${file} names it (lines ${at(lines)}), outside its places`);
  }
  for (const file of places.knownElsewhere)
    if (!found.has(file)) problems.push(`${kind}: ${file} no longer names it: take it off knownElsewhere`);
  if (!found.has(places.entry)) problems.push(`${kind}: its entry ${places.entry} does not name it (are its names right?)`);
  return problems.sort();
}

describe('where each managed setting lives', () => {
  const all = parseSrc();

  it('reads every file, and every table entry has a row here', () => {
    expect(all.length).toBeGreaterThan(150);
    expect(Object.keys(PLACES).sort()).toEqual([...SETTING_KINDS].sort());
  });

  it('the parser sees code, not comments', () => {
    const parsed = parseOne(
      'x.ts',
      '// spec.sharing is managed\n/** the ACL */\nconst a = 1;\nconst b = x.sharing;\nconst c = `/api/v2/workspaces/` + id + `/acl`;\n',
    );
    expect([...namingLines(parsed, PLACES.sharing.names)]).toEqual([4, 5]);
  });

  for (const kind of SETTING_KINDS) {
    it(`${kind} is named only in its places`, () => {
      const places = PLACES[kind];
      const found = placesOf(all, places.names);
      // Printed so the report of a run says where each setting lives today.
      process.stdout.write(`[places] ${kind}: ${[...found.keys()].sort().join(' ')}\n`);
      expect(strayPlaces(kind, places, found)).toEqual([]);
    });
  }

  it('every setting a build carries has a row here', () => {
    expect(Object.keys(BUILD_PLACES).sort()).toEqual(BUILD_SETTINGS.map((b) => b.field).sort());
  });

  for (const [field, places] of Object.entries(BUILD_PLACES)) {
    it(`${field} (carried by a build) is named only in its places`, () => {
      const found = placesOf(all, places.names);
      process.stdout.write(`[places] ${field}: ${[...found.keys()].sort().join(' ')}\n`);
      expect(strayPlaces(field, places, found)).toEqual([]);
    });
  }

  it('sharing, added through the table, is named in exactly the five places and nowhere else', () => {
    const found = placesOf(all, PLACES.sharing.names);
    expect([...found.keys()].sort()).toEqual(
      [...SCHEMA, 'engine/settings/sharing.ts', TABLE, 'coder-sim/handlers/workspace-sharing.ts', SIM_REGISTRY].sort(),
    );
  });

  it('a stray reference fails it, naming the file and the line', () => {
    const stray = new Map([...placesOf(all, PLACES.sharing.names), ['engine/engine.ts', new Set([42])]]);
    expect(strayPlaces('sharing', PLACES.sharing, stray)).toEqual(['sharing: engine/engine.ts names it (lines 42), outside its places']);
  });
});
