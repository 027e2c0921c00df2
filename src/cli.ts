/**
 * The nslab command line. Parses arguments (commander), checks prerequisites, prepares the
 * container image, and hands over to the full-screen views in components/.
 */
import { Command } from 'commander';
import { NslabError } from './errors.ts';
import { assertPrerequisites, checkPrerequisites, formatReport } from './doctor.ts';
import { ensureHostRootfs } from './rootfs/build.ts';
import { importRootfs } from './rootfs/import.ts';

async function containerImage(rootfs: string | undefined): Promise<string> {
  const image = rootfs ? await importRootfs(rootfs) : await ensureHostRootfs();
  return image.tarPath;
}

async function startChecks(): Promise<void> {
  await assertPrerequisites({ terminal: { columns: process.stdout.columns ?? 0, rows: process.stdout.rows ?? 0 } });
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new NslabError('nslab needs an interactive terminal.', 'Run it directly in a terminal window, not through a pipe.');
  }
}

export function buildProgram(): Command {
  const program = new Command('nslab')
    .description('Learn how Linux containers work by building one by hand, inside real namespaces.')
    .showHelpAfterError();

  program
    .command('play')
    .description('open the free playground: a host shell and a container shell side by side')
    .option('--rootfs <path>', 'container root filesystem: a directory, .tar or .tar.gz (Alpine minirootfs, docker export)')
    .action(async (options: { rootfs?: string }) => {
      await startChecks();
      const tar = await containerImage(options.rootfs);
      const { runPlayground } = await import('../components/app.tsx');
      await runPlayground(tar);
    });

  program
    .command('doctor')
    .description('check what nslab needs from this machine, and how to fix what is missing')
    .action(async () => {
      const report = await checkPrerequisites({ terminal: process.stdout.isTTY ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined });
      process.stdout.write(formatReport(report) + '\n');
      process.exitCode = report.some((p) => p.required && !p.ok) ? 1 : 0;
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof NslabError) {
      process.stderr.write(`nslab: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    } else {
      const detail = process.env.NSLAB_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`nslab: unexpected error: ${detail}\nPlease report it; NSLAB_DEBUG=1 shows the details.\n`);
    }
    process.exitCode = 1;
  }
  // Open handles (a PTY being torn down) must not keep a finished nslab alive.
  process.exit();
}

await main(process.argv);
