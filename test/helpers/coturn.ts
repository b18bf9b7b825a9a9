/**
 * A private coturn (`turnserver`) for the TURN tests: loopback only, a free port,
 * long-term credentials, no TLS/DTLS, no CLI, no config file, no system database, its
 * log kept in memory. `stop()` kills it and waits for it to exit.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface Coturn {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Everything coturn logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both). */
async function freeUdpTcpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
    if (ok) return port;
  }
  throw new Error('no free UDP+TCP port');
}

/** True once the server answers a STUN Binding request (RFC 8489 §6) on UDP. */
async function answersStun(port: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  try {
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); // Binding request
    req.writeUInt16BE(0, 2);
    req.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(req, 8);
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 200);
      sock.once('message', (m) => { clearTimeout(t); resolve(m.length >= 20 && m.readUInt16BE(0) === 0x0101); });
      sock.once('error', () => { clearTimeout(t); resolve(false); });
      sock.send(req, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

export async function startCoturn(user = 'u', password = 'p'): Promise<Coturn> {
  const port = await freeUdpTcpPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-coturn-'));
  const child = spawn('turnserver', [
    '-n', // no configuration file
    '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '--listening-port', String(port),
    '--lt-cred-mech', '--user', `${user}:${password}`, '--realm', 'fluo',
    '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--no-multicast-peers',
    '--no-software-attribute', '--log-file', 'stdout', '--simple-log', '--verbose',
    '--pidfile', path.join(dir, 'turnserver.pid'), '--userdb', path.join(dir, 'turndb'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let gone = false;
  void exited.then(() => { gone = true; });
  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 5000;
  while (!(await answersStun(port))) {
    if (gone || Date.now() > end) {
      await stop();
      throw new Error(`coturn did not start:\n${log}`);
    }
  }
  return { port, user, password, log: () => log, stop };
}
