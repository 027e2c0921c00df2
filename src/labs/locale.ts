/**
 * Which translation of a lab to show, from the environment as gettext reads it: LANGUAGE (a
 * colon-separated list of preferences), then the first set of LC_ALL, LC_MESSAGES and LANG
 * (POSIX: LC_ALL overrides LC_MESSAGES overrides LANG). Unlike gettext, LANGUAGE counts even
 * when the locale is "C": nslab's prose does not depend on libc's locale being installed.
 */

/** Language tags to try, most preferred first: `de_AT.UTF-8@euro` gives `de_AT`, then `de`. */
export function preferredLanguages(env: NodeJS.ProcessEnv = process.env): string[] {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  const tags: string[] = [];
  for (const entry of [...(env.LANGUAGE ?? '').split(':'), locale]) {
    const tag = entry.replace(/[.@].*$/, '');
    // "C", "POSIX" and English ask for lab.md itself: nothing after them counts.
    if (tag === 'C' || tag === 'POSIX' || /^en(_|$)/.test(tag)) break;
    if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(tag)) continue;
    for (const t of [tag, tag.split('_')[0]!]) if (!tags.includes(t)) tags.push(t);
  }
  return tags;
}
