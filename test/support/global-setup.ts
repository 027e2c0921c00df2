/** Once per test run: the app bundle the end-to-end tests start (bin/nslab.js runs dist/). */
import { ensureBundle } from '../../scripts/bundle.mjs';

export default async function setup(): Promise<void> {
  await ensureBundle();
}
