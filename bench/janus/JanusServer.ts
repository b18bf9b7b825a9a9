/**
 * Debian's Janus 1.1 (the reference of `bench:sfu --vs-janus`), started with a private
 * configuration in a temporary folder: the VideoRoom plugin and the HTTP transport only,
 * the REST API on 127.0.0.1, ICE on one named interface, no session timeout, and the
 * number of event loops the issue measured it with (2). Janus gathers no candidates on
 * loopback interfaces (src/ice.c skips IFF_LOOPBACK), so the benchmark's private network
 * namespace gives it a dummy interface (scripts/netns.mjs --dummy): its address is local
 * to the namespace, and nothing leaves the machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PLUGINS = '/usr/lib/x86_64-linux-gnu/janus/plugins';
const TRANSPORTS = '/usr/lib/x86_64-linux-gnu/janus/transports';

export interface JanusOptions {
  /** REST API port on 127.0.0.1. */
  httpPort: number;
  /** The interface ICE may use (ice_enforce_list). */
  iface: string;
  /** Event loops shared by all handles (0: a thread per handle, Janus's default). */
  eventLoops: number;
  /** Run under `taskset -c <cpus>`. */
  cpus?: string;
}

export class JanusServer {
  readonly #dir: string;
  readonly #proc: ChildProcess;
  readonly url: string;

  private constructor(dir: string, proc: ChildProcess, url: string) {
    this.#dir = dir;
    this.#proc = proc;
    this.url = url;
  }

  /** Whether Debian's janus is installed (bash install.sh installs it). */
  static available(): boolean {
    return JanusServer.version() !== undefined;
  }

  /** Janus's version line (`janus -V`), undefined when it is not installed. */
  static version(): string | undefined {
    const r = spawnSync('janus', ['-V'], { encoding: 'utf8' });
    return r.error ? undefined : /Janus version: .*/.exec(r.stdout)?.[0];
  }

  static async start(o: JanusOptions): Promise<JanusServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-bench-janus-'));
    const disabled = (folder: string, keep: string): string =>
      fs.readdirSync(folder).filter((f) => /\.so$/.test(f) && f !== keep).join(',');
    fs.writeFileSync(path.join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${PLUGINS}"
  transports_folder = "${TRANSPORTS}"
  debug_level = 2
  session_timeout = 0
  ${o.eventLoops > 0 ? `event_loops = ${o.eventLoops}` : ''}
}
media: {
  rtp_port_range = "20000-40000"
}
nat: {
  nice_debug = false
  ice_enforce_list = "${o.iface}"
}
plugins: {
  disable = "${disabled(PLUGINS, 'libjanus_videoroom.so')}"
}
transports: {
  disable = "${disabled(TRANSPORTS, 'libjanus_http.so')}"
}
events: {
  broadcast = false
}
`);
    fs.writeFileSync(path.join(dir, 'janus.transport.http.jcfg'), `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${o.httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
}
`);
    fs.writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
    const args = ['-C', path.join(dir, 'janus.jcfg'), '-F', dir, '--disable-colors'];
    const proc = o.cpus ? spawn('taskset', ['-c', o.cpus, 'janus', ...args], { stdio: ['ignore', 'ignore', 'inherit'] }) : spawn('janus', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const server = new JanusServer(dir, proc, `http://127.0.0.1:${o.httpPort}/janus`);
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) break;
      try {
        const r = await fetch(`${server.url}/info`);
        if (r.ok) return server;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    throw new Error('Janus did not start (see its log above)');
  }

  get pid(): number {
    return this.#proc.pid!;
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode === null) {
      this.#proc.kill('SIGINT');
      await new Promise((r) => { this.#proc.once('exit', r); setTimeout(() => { this.#proc.kill('SIGKILL'); r(undefined); }, 5000).unref(); });
    }
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
