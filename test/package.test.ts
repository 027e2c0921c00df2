/**
 * What `npm pack` ships: what runs (bin, the bundle, the lab files and what they import), not
 * the tests or the bench; and the build tool is not a runtime dependency.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('packs what runs and nothing of the tests or the bench', () => {
  // --ignore-scripts: no prepack build here; the file list comes from package.json "files".
  const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' })) as [{ files: { path: string }[] }];
  const paths = report.files.map((f) => f.path);
  expect(paths).toContain('bin/nslab.js');
  expect(paths).toContain('scripts/bundle.mjs');
  expect(paths.some((p) => p.startsWith('labs/'))).toBe(true);
  expect(paths.filter((p) => /^(test|bench|docs)\//.test(p) || p.endsWith('.test.ts'))).toEqual([]);
});

it('needs esbuild only to build: a devDependency, with prepack building the bundle', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
  expect(pkg.dependencies.esbuild).toBeUndefined();
  expect(pkg.devDependencies.esbuild).toBeDefined();
  expect(pkg.scripts.prepack).toContain('bundle.mjs --pack');
});
