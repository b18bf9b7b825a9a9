import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FluoConfig } from './FluoConfig.ts';
import { parseJsonc } from './parseJsonc.ts';
import { parseIni } from './parseIni.ts';
import { DEFAULT_SPEC } from '../log/Logger.ts';
import { FLUO_VERSION } from '../version.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type LoadResult =
  | { kind: 'run'; config: FluoConfig }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };

export const DEFAULT_CONF_FILE = fileURLToPath(new URL('../../config/kurento.conf.json', import.meta.url));

const HELP = `Usage: npm start -- [options]

Fluo, a Kurento-compatible media server. Options (Kurento's names):
  --port N                      WebSocket port (overrides mediaServer.net.websocket.port)
  -f, --conf-file PATH          kurento.conf.json to use (default: config/kurento.conf.json)
  -c, --modules-config-path DIR folder of <Class>.conf.ini files (default: <conf dir>/modules)
  -d, --logs-path DIR           write rotating log files there instead of the console
  -s, --log-file-size MB        size of one log file (default 100)
  -n, --number-log-files N      log files to keep (default 10)
  --gst-debug-level N           default debug level (1 ERROR .. 8 MEMDUMP)
  --gst-debug SPEC              per-category levels, e.g. "Kurento*:5,webrtc*:4" (repeatable)
  --gst-debug-no-color          no colours in console logs
  --media-workers N             media worker threads (default: one per core)
  -h, --help                    this text
  -V, --version                 print the version

Environment: GST_DEBUG (same syntax as --gst-debug, with an optional leading level),
KMS_NETWORK_INTERFACES, KMS_EXTERNAL_IPV4, KMS_EXTERNAL_IPV6, KMS_MIN_PORT, KMS_MAX_PORT,
KMS_STUN_IP, KMS_STUN_PORT, KMS_TURN_URL, KMS_ICE_TCP (WebRtcEndpoint settings, as in
Kurento's container image).
`;

/** Flags taking a value, with their short forms. */
const VALUE_FLAGS: Record<string, string> = {
  '--port': 'port', '-f': 'conf-file', '--conf-file': 'conf-file', '-c': 'modules-config-path',
  '--modules-config-path': 'modules-config-path', '-d': 'logs-path', '--logs-path': 'logs-path',
  '-s': 'log-file-size', '--log-file-size': 'log-file-size', '-n': 'number-log-files',
  '--number-log-files': 'number-log-files', '--gst-debug-level': 'gst-debug-level',
  '--gst-debug': 'gst-debug', '--media-workers': 'media-workers', '--modules-path': 'modules-path',
  '--gst-plugin-path': 'gst-plugin-path',
};

/** `KMS_*` variables of Kurento's Docker image -> WebRtcEndpoint.conf.ini keys. */
const KMS_ENV: Record<string, string> = {
  KMS_NETWORK_INTERFACES: 'networkInterfaces', KMS_EXTERNAL_IPV4: 'externalIPv4', KMS_EXTERNAL_IPV6: 'externalIPv6',
  KMS_MIN_PORT: 'minPort', KMS_MAX_PORT: 'maxPort', KMS_STUN_IP: 'stunServerAddress', KMS_STUN_PORT: 'stunServerPort',
  KMS_TURN_URL: 'turnURL', KMS_ICE_TCP: 'iceTcp',
};

function parseArgs(argv: readonly string[]): { values: Map<string, string[]>; flags: Set<string> } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const key = VALUE_FLAGS[name];
    if (key) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new ConfigError(`${name} needs a value`);
      values.set(key, [...(values.get(key) ?? []), v]);
    } else if (['--help', '-h', '--version', '-V', '--gst-debug-no-color'].includes(a)) {
      flags.add(a);
    } else {
      throw new ConfigError(`unknown option '${a}' (see --help)`);
    }
  }
  return { values, flags };
}

function int(v: unknown, key: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function obj(v: unknown, key: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${key} must be an object`);
  return v as Record<string, unknown>;
}

/** Reads every `<Class>.conf.ini` under `dir/kurento/` (Kurento's layout) and `dir/`. */
function readModules(dir: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const d of [dir, path.join(dir, 'kurento')]) {
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) {
      if (!f.endsWith('.conf.ini')) continue;
      try {
        out[f.slice(0, -'.conf.ini'.length)] = parseIni(fs.readFileSync(path.join(d, f), 'utf8'));
      } catch (err) {
        throw new ConfigError(`${path.join(d, f)}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

/**
 * Resolves the configuration: defaults < kurento.conf.json < module ini files <
 * environment < command line. Throws ConfigError with a message naming the key.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LoadResult {
  const { values, flags } = parseArgs(argv);
  if (flags.has('--help') || flags.has('-h')) return { kind: 'help', text: HELP };
  if (flags.has('--version') || flags.has('-V')) return { kind: 'version', text: `Fluo ${FLUO_VERSION} (Kurento Protocol 7.3.0 / 6.18.0)` };
  const last = (k: string): string | undefined => values.get(k)?.at(-1);

  const confFile = path.resolve(last('conf-file') ?? DEFAULT_CONF_FILE);
  let file: Record<string, unknown>;
  try {
    file = obj(parseJsonc(fs.readFileSync(confFile, 'utf8')), confFile);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read ${confFile}: ${(err as Error).message}`);
  }
  const ms = obj(file.mediaServer, 'mediaServer');
  const res = obj(ms.resources, 'mediaServer.resources');
  const ws = obj(obj(ms.net, 'mediaServer.net').websocket, 'mediaServer.net.websocket');
  const confDir = path.dirname(confFile);

  const port = int(last('port') ?? ws.port ?? 8888, last('port') ? '--port' : 'mediaServer.net.websocket.port', 1, 65535);
  const wsPath = ws.path ?? 'kurento';
  if (typeof wsPath !== 'string') throw new ConfigError('mediaServer.net.websocket.path must be a string');
  let secure: FluoConfig['websocket']['secure'];
  if (ws.secure !== undefined) {
    const s = obj(ws.secure, 'mediaServer.net.websocket.secure');
    if (typeof s.certificate !== 'string') throw new ConfigError('mediaServer.net.websocket.secure.certificate must be a file name');
    secure = {
      port: int(s.port ?? 8433, 'mediaServer.net.websocket.secure.port', 0, 65535),
      certificate: path.resolve(confDir, s.certificate),
      password: typeof s.password === 'string' ? s.password : '',
    };
  }
  const bool = (v: unknown, key: string, dflt: boolean): boolean => {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw new ConfigError(`${key} must be true or false`);
    return v;
  };

  const modulesConfigPath = path.resolve(last('modules-config-path') ?? path.join(confDir, 'modules'));
  const modules = readModules(modulesConfigPath);
  const webrtc = { ...(modules.WebRtcEndpoint ?? {}) };
  for (const [envKey, iniKey] of Object.entries(KMS_ENV)) {
    const v = env[envKey];
    if (v !== undefined && v !== '') webrtc[iniKey] = v;
  }
  for (const k of ['stunServerPort', 'minPort', 'maxPort']) if (webrtc[k] !== undefined) int(webrtc[k], `WebRtcEndpoint ${k}`, 0, 65535);
  modules.WebRtcEndpoint = webrtc;

  let spec = env.GST_DEBUG && env.GST_DEBUG.trim() ? env.GST_DEBUG : DEFAULT_SPEC;
  const level = last('gst-debug-level');
  if (level !== undefined) spec = `${int(level, '--gst-debug-level', 0, 9)},${spec.split(',').filter((x) => x.includes(':')).join(',')}`;
  for (const s of values.get('gst-debug') ?? []) spec = `${spec},${s}`;

  const workers = int(last('media-workers') ?? ms.mediaWorkers ?? 0, 'mediaServer.mediaWorkers', 0, 256);
  const config: FluoConfig = {
    websocket: { host: typeof ws.host === 'string' ? ws.host : '0.0.0.0', port, path: wsPath.replace(/^\/+/, ''), secure },
    resources: {
      garbageCollectorPeriod: int(res.garbageCollectorPeriod ?? 240, 'mediaServer.resources.garbageCollectorPeriod', 1, 86400),
      disableRequestCache: bool(res.disableRequestCache, 'mediaServer.resources.disableRequestCache', false),
      requestCacheTimeout: int(res.requestCacheTimeout ?? 20000, 'mediaServer.resources.requestCacheTimeout', 0, 3_600_000),
      maxMessageSize: int(res.maxMessageSize ?? 10 * 1024 * 1024, 'mediaServer.resources.maxMessageSize', 1024, 1 << 30),
      maxObjectsPerSession: int(res.maxObjectsPerSession ?? 10000, 'mediaServer.resources.maxObjectsPerSession', 1, 1e9),
    },
    mediaWorkers: workers === 0 ? os.availableParallelism() : workers,
    modules,
    logging: {
      spec,
      color: !flags.has('--gst-debug-no-color') && process.stdout.isTTY === true,
      logsPath: last('logs-path') ? path.resolve(last('logs-path')!) : undefined,
      logFileSizeMb: int(last('log-file-size') ?? 100, '--log-file-size', 1, 100000),
      numberLogFiles: int(last('number-log-files') ?? 10, '--number-log-files', 1, 10000),
    },
    confFile,
    modulesConfigPath,
  };
  return { kind: 'run', config };
}
