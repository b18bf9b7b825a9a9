/**
 * Starts a tutorial, as Kurento's `npm start -- --ws_uri=... --as_uri=...` does:
 *   node --import tsx examples/run.ts <tutorial> [--ws_uri ws://host:8888/kurento] [--as_uri https://localhost:8443/]
 * Without --ws_uri it starts Fluo itself. The FIWARE-style variables work too:
 * TUTORIAL_NAME, MEDIA_SERVER_HOST, MEDIA_SERVER_PORT, APP_SERVER_HOST, APP_SERVER_PORT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { TUTORIALS, startTutorial } from './tutorials.ts';

function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return undefined;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function startFluo(): Promise<{ uri: string; child: ChildProcess }> {
  let port = 8888;
  while (!(await portFree(port))) port++;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--max-semi-space-size=32', 'src/fluo.mjs', '--port', String(port)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (!(await portFree(port))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { uri: `ws://127.0.0.1:${port}/kurento`, child };
}

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((a) => !a.startsWith('--') && !/^(ws|https?):/.test(a)) ?? process.env.TUTORIAL_NAME;
  if (!name || !TUTORIALS[name]) {
    console.error(`usage: node --import tsx examples/run.ts <${Object.keys(TUTORIALS).join('|')}> [--ws_uri URI] [--as_uri URI]`);
    process.exit(2);
  }
  let wsUri = flag('ws_uri');
  if (!wsUri && process.env.MEDIA_SERVER_HOST) wsUri = `ws://${process.env.MEDIA_SERVER_HOST}:${process.env.MEDIA_SERVER_PORT ?? 8888}/kurento`;
  let fluo: ChildProcess | undefined;
  if (!wsUri) {
    const started = await startFluo();
    wsUri = started.uri;
    fluo = started.child;
  }
  const asUri = new URL(flag('as_uri') ?? `https://${process.env.APP_SERVER_HOST ?? 'localhost'}:${process.env.APP_SERVER_PORT ?? 8443}/`);
  const app = await startTutorial(name, wsUri, Number(asUri.port || 443), process.env.APP_SERVER_HOST ?? '0.0.0.0');
  console.log(`${name}: open https://${asUri.hostname}:${app.port}/ (media server ${wsUri})`);
  const stop = (): void => { void app.stop().finally(() => { fluo?.kill('SIGINT'); process.exit(0); }); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
