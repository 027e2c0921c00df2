/**
 * The labs: every file `labs/NN-<id>.ts`, in file-name order. NN orders the list; the rest of
 * the name must be the lab's id, so a lab is always found where its id says.
 */
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LABS_DIR } from '../paths.ts';
import { LabDefinitionError } from '../errors.ts';
import { validateLab } from './schema.ts';
import type { Lab } from './types.ts';

const LAB_FILE = /^(\d\d)-([a-z0-9-]+)\.ts$/;

export async function loadLabs(dir = LABS_DIR): Promise<Lab[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const labs: Lab[] = [];
  for (const file of files) {
    const match = LAB_FILE.exec(file);
    if (!match) throw new LabDefinitionError(`Lab file labs/${file} is misnamed: lab files are named NN-<lab-id>.ts.`);
    let module: { default?: unknown };
    try {
      module = (await importTypeScript(pathToFileURL(dir + file).href)) as { default?: unknown };
    } catch (error) {
      throw new LabDefinitionError(`Lab file labs/${file} could not be loaded: ${(error as Error).message}`);
    }
    const lab = validateLab(module.default, `labs/${file}`);
    if (lab.id !== match[2]) throw new LabDefinitionError(`Lab file labs/${file} defines the lab "${lab.id}"; its file name says "${match[2]}".`);
    if (labs.some((l) => l.id === lab.id)) throw new LabDefinitionError(`Two lab files define the lab "${lab.id}".`);
    labs.push(lab);
  }
  return labs;
}

/**
 * Lab files are TypeScript. Under tsx or vitest a plain import() takes them; the bundled app
 * (dist/) runs on plain Node, which refuses .ts, so it loads them through tsx's scoped API.
 */
async function importTypeScript(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(url, import.meta.url);
  }
}
