import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = join(root, 'node_modules/.cache/fluo-media');

/**
 * The path of astronaut.png (512x512 RGB, NASA's public-domain portrait that Debian's
 * python3-skimage ships), the face of the filter tests. install.sh fetches it with
 * scripts/fetch-test-media.sh, since the tests' network namespace has no network; when
 * it is missing we try that script once more (it works on the host network), then fail
 * saying how to get it.
 */
export function astronautPng(): string {
  const png = join(cacheDir, 'astronaut.png');
  if (existsSync(png)) return png;
  try {
    execFileSync('bash', [join(root, 'scripts/fetch-test-media.sh'), cacheDir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`${png} is missing and could not be fetched (the tests have no network): run \`bash install.sh --no-start\` or \`bash scripts/fetch-test-media.sh\` on the host first. ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? ''}`);
  }
  return png;
}
