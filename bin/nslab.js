#!/usr/bin/env node
// nslab runs its TypeScript sources through tsx's loader, so a clone needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
