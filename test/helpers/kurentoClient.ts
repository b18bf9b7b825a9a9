import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';

const require = createRequire(import.meta.url);
// kurento-client is CommonJS with no types; tests use it the way applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;
export const kurento = require('kurento-client') as Loose;

/** The official kurento-client@7.3.0 connected to `url`, failing at once instead of retrying. */
export async function openClient(url: string): Promise<Loose> {
  const raw = kurento(url, { failAfter: 1, request_timeout: 5000 });
  raw._re.on('error', () => undefined);
  return await raw;
}

/** Closes the client, then the server, then removes the test's folder. */
export async function closeAll(client: Loose, stopServer: () => Promise<void>, dir: string): Promise<void> {
  client?.close();
  await new Promise((r) => setTimeout(r, 50));
  await stopServer();
  rmSync(dir, { recursive: true, force: true });
}
