import { NSLAB_ENV, Outer } from './outer.ts';
const outer = new Outer({ argv: ['node', ...(process.env.XARGS ?? '').split(' ').filter(Boolean), 'bin/nslab.js', 'play'], env: { ...NSLAB_ENV } });
const prompt = (text: string) => /[#$]$/m.test(text.replace(/[│┃╭╮╰╯┏┓┗┛─━]/g, '').replace(/[ \t]+$/gm, ''));
const t0 = performance.now();
const at = await outer.when(() => prompt(outer.half('left')) && prompt(outer.half('right')), 'both');
console.log('both prompts', (at - t0).toFixed(0));
await new Promise((r) => setTimeout(r, 50));
outer.type('\x07q');
await outer.exited;
