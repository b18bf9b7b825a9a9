import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RpcClient } from './fluo.ts';
import { until } from './RemotePeers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A free TCP port on 127.0.0.1 now. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface FluoProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** A client connected to it (closed by `kill`). */
  readonly client: RpcClient;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Fluo as its own process, as `npm start` runs it: for what only a whole process shows
 * (SIGKILL of the server, what its children do then).
 */
export async function startFluoProcess(): Promise<FluoProcess> {
  const port = await freeTcpPort();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=32', 'src/fluo.mjs', '--port', String(port)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `ws://127.0.0.1:${port}/kurento`;
  let client: RpcClient | undefined;
  try {
    await until(async () => {
      try { client = await RpcClient.open(url); return true; } catch { return false; }
    }, 20_000, 'Fluo listening');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child, url, client: client!,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      await exited;
      await client!.close().catch(() => undefined);
    },
  };
}
