import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

/** An even UDP port free on 127.0.0.1 now (RTP on even ports, RFC 3550 §11). */
export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const s = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
    s.close();
    if (port % 2 === 0) return port;
  }
}

/** Whether a socket of this network namespace is bound to UDP `port` (/proc/net/udp{,6}: local address in hex, third field). */
export function udpBound(port: number): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/udp', '/proc/net/udp6'].some((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix));
    } catch {
      return false;
    }
  });
}

/** gst-launch-1.0 processes of a test file, all killed by `killAll` in its `after`. */
export class GstLaunches {
  readonly #children: ChildProcess[] = [];

  /** Starts `gst-launch-1.0 -q <pipeline>` (the pipeline's words split on spaces). */
  launch(pipeline: string): ChildProcess {
    const ch = spawn('gst-launch-1.0', ['-q', ...pipeline.split(' ')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#children.push(ch);
    return ch;
  }

  killAll(): void {
    for (const ch of this.#children) ch.kill('SIGKILL');
  }
}

/** Resolves with a process's exit code, or -1 after `timeoutMs`. */
export function exitCode(ch: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(-1), timeoutMs);
    ch.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}
