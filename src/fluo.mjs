// The server's launcher (`npm start`): runs src/main.ts bundled (src/bundle/esbundle.mjs),
// without tsx's loader in the process; through tsx when the bundle cannot be built
// (read-only tree, no esbuild binary) or when FLUO_TSX=1 asks for it.
import { fileURLToPath } from 'node:url';

const main = new URL('./main.ts', import.meta.url);

async function bundled() {
  if (process.env.FLUO_TSX === '1') return undefined;
  try {
    const { bundle } = await import('./bundle/esbundle.mjs');
    return await bundle(fileURLToPath(main), 'fluo-main');
  } catch (err) {
    process.stderr.write(`fluo: running through tsx (the bundle could not be built: ${err instanceof Error ? err.message : String(err)})\n`);
    return undefined;
  }
}

const url = await bundled();
if (url) {
  await import(url.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(main.href);
}
