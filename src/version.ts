import { readFileSync } from 'node:fs';

/** Fluo's own version, from package.json. */
export const FLUO_VERSION: string = (JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string }).version;
