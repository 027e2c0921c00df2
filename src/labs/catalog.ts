/**
 * The labs: the built-in ones in labs/, then those of each `--labs DIR`. Each lab directory is
 * named NN-<id> (NN orders the list within its directory) and loaded on its own: a malformed
 * lab is reported with its file, line, step and field, and the rest still load.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NslabError } from '../errors.ts';
import { LABS_DIR, PACKAGE_ROOT } from '../paths.ts';
import { LIBRARY, type Library } from './library.ts';
import { formatProblem, LAB_DIR, LabLoadError, loadLab } from './load.ts';
import { preferredLanguages } from './locale.ts';
import type { Lab } from './types.ts';

export interface CatalogOptions {
  /** `--labs DIR`, each a directory of lab directories (or one lab directory itself). */
  readonly labDirs?: readonly string[];
  /** `--trust-lab-code`: load checks.ts/checks.js of labs from `labDirs`. */
  readonly trustLabCode?: boolean;
  /** Default: labs/ of the package; null: none (tests). */
  readonly builtInDir?: string | null;
  /** Default: from LANGUAGE, LC_ALL, LC_MESSAGES, LANG. */
  readonly languages?: readonly string[];
  readonly library?: Library;
}

export interface Catalog {
  readonly labs: readonly Lab[];
  /** Labs refused and translations not used, one line each, for the lab list and stderr. */
  readonly problems: readonly string[];
}

export async function loadCatalog(options: CatalogOptions = {}): Promise<Catalog> {
  const library = options.library ?? LIBRARY;
  const languages = options.languages ?? preferredLanguages();
  const labs: Lab[] = [];
  const problems: string[] = [];
  const sources = [
    ...(options.builtInDir === null ? [] : [{ dir: options.builtInDir ?? LABS_DIR, builtIn: true }]),
    ...(options.labDirs ?? []).map((dir) => ({ dir: resolve(dir), shown: dir, builtIn: false })),
  ];
  for (const source of sources) {
    const shownRoot = 'shown' in source ? source.shown.replace(/\/+$/, '') : relativeToPackage(source.dir);
    for (const entry of labEntries(source.dir, shownRoot)) {
      try {
        const lab = await loadOne(entry, source.builtIn, options, languages, library, problems);
        const twin = labs.find((l) => l.id === lab.id);
        if (twin) problems.push(formatProblem({ file: lab.origin.file, field: 'id', message: `"${lab.id}" is already the id of ${twin.origin.file}; this lab is not loaded` }));
        else labs.push(lab);
      } catch (error) {
        if (!(error instanceof LabLoadError)) throw error;
        problems.push(...error.problems.map(formatProblem));
      }
    }
  }
  return { labs, problems };
}

/** The labs alone, for callers that have no place to show problems (bench, tests). */
export async function loadLabs(options: CatalogOptions = {}): Promise<Lab[]> {
  return [...(await loadCatalog(options)).labs];
}

async function loadOne(entry: Entry, builtIn: boolean, options: CatalogOptions, languages: readonly string[], library: Library, problems: string[]): Promise<Lab> {
  const { lab, warnings } = await loadLab(entry.path, { shownDir: entry.shown, builtIn, trustLabCode: options.trustLabCode ?? false, languages, library });
  problems.push(...warnings.map(formatProblem));
  return lab;
}

interface Entry {
  readonly path: string;
  readonly shown: string;
}

/**
 * The lab directories of `dir`, in name order. A directory that holds a lab.md is itself one
 * lab. Files beside the labs (a README) are not labs and are passed over; a directory that has
 * a lab.md but a name without NN- is loaded so that its misnaming is reported.
 */
function labEntries(dir: string, shownRoot: string): Entry[] {
  let names: string[];
  try {
    if (isFile(join(dir, 'lab.md'))) return [{ path: dir.replace(/\/+$/, ''), shown: shownRoot }];
    names = readdirSync(dir).sort();
  } catch (error) {
    throw new NslabError(`The labs directory ${shownRoot} cannot be read: ${(error as Error).message}`, 'Give --labs a directory of lab directories (NN-<lab-id>/lab.md), or one lab directory.');
  }
  const entries: Entry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (LAB_DIR.test(name) || isFile(join(path, 'lab.md'))) entries.push({ path, shown: `${shownRoot}/${name}` });
  }
  return entries;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function relativeToPackage(dir: string): string {
  const root = PACKAGE_ROOT.endsWith('/') ? PACKAGE_ROOT : `${PACKAGE_ROOT}/`;
  return (dir.startsWith(root) ? dir.slice(root.length) : dir).replace(/\/+$/, '');
}

