// Where `cwo export` puts its documents: one multi-document YAML stream
// (stdout), or one file per owner in a directory. Each document is
// serialised and written as it comes, waiting for the stream to drain, so
// 10,000 workspaces never become one giant string in memory.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { Workspace } from '../api/schema.ts';
import { workspaceNameError } from '../api/workspace-name.ts';

/** Writes `text`, waiting when the stream's buffer is full. */
export async function writeChunk(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** One document with its notes as comments above it, starting with `---`. */
export function renderDocument(document: Workspace, notes: string[]): string {
  const comments = notes.map((n) => `# ${oneLine(n)}\n`).join('');
  // No anchors and aliases (a declaration is read by people), and not looking for them is half the cost.
  return `---\n${comments}${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The comment every output starts with: where the declarations came from. */
export function renderHeader(coderUrl: string, query: string): string {
  const selected = query.trim() === '' ? 'every workspace the token can see' : `query ${JSON.stringify(query)}`;
  return `# Workspace declarations exported by cwo export from ${oneLine(coderUrl)} (${oneLine(selected)}).\n`;
}

/** The file of one owner in --out-dir: `<owner>.yaml`, lower-cased; undefined for a name that is no Coder username. */
export function ownerFileName(owner: string): string | undefined {
  return workspaceNameError(owner) === undefined ? `${owner.toLowerCase()}.yaml` : undefined;
}

/** The files of `owners` that already exist in `dir` (refused unless --overwrite). */
export async function existingFiles(dir: string, owners: Iterable<string>): Promise<string[]> {
  const names = new Set<string>();
  for (const owner of owners) {
    const name = ownerFileName(owner);
    if (name) names.add(name);
  }
  const found: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      found.push(path);
  }
  return found;
}

/**
 * One file per owner, written as the owner's documents arrive (they come
 * sorted by owner, so one file is open at a time). `overwrite` false opens
 * each file exclusively: a file that appeared since the check is not
 * clobbered, the write fails instead.
 */
export class OwnerFiles {
  readonly #dir: string;
  readonly #header: string;
  readonly #overwrite: boolean;
  #owner: string | undefined;
  #stream: Writable | undefined;
  readonly written: string[] = [];

  constructor(dir: string, header: string, overwrite: boolean) {
    this.#dir = dir;
    this.#header = header;
    this.#overwrite = overwrite;
  }

  async write(owner: string, text: string): Promise<void> {
    const key = owner.toLowerCase();
    if (this.#owner !== key) {
      await this.#close();
      const name = ownerFileName(owner);
      if (name === undefined) throw new Error(`owner ${JSON.stringify(owner)} is not a Coder username; no file is named after it`);
      await mkdir(this.#dir, { recursive: true });
      const path = join(this.#dir, name);
      const stream = createWriteStream(path, { flags: this.#overwrite ? 'w' : 'wx' });
      await once(stream, 'open');
      this.#stream = stream;
      this.#owner = key;
      this.written.push(path);
      await writeChunk(stream, this.#header);
    }
    await writeChunk(this.#stream!, text);
  }

  async close(): Promise<void> {
    await this.#close();
  }

  async #close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#owner = undefined;
    if (!stream) return;
    stream.end();
    await once(stream, 'close');
  }
}

/** Control characters (a newline above all) would end the comment and start YAML. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}
