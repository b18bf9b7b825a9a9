import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FluoConfig } from './FluoConfig.ts';
import { ConfigError } from './ConfigError.ts';
import { helpText, parseCommandLine, type CommandLine } from './commandLine.ts';
import { applyEnvironment, readModulesConfig } from './modulesConfig.ts';
import { parseJsonc } from './parseJsonc.ts';
import { readCertificate } from './certificate.ts';
import { rs256Key } from '../server/jwt.ts';
import { DestinationPolicy } from '../shared/DestinationPolicy.ts';
import { OpsAccess } from '../server/OpsAccess.ts';
import { DEFAULT_SPEC, parseDebugSpec, parseLevel } from '../log/DebugSpec.ts';
import { FLUO_VERSION } from '../version.ts';

export { ConfigError } from './ConfigError.ts';
export type { FluoConfig } from './FluoConfig.ts';

export type LoadResult =
  | { kind: 'run'; config: FluoConfig }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };

/** The shipped config, found from this file's place in the repository (not the working directory). */
export const DEFAULT_CONF_FILE = fileURLToPath(new URL('../../config/kurento.conf.json', import.meta.url));

/**
 * Resolves the configuration. Precedence, highest first: command line, environment
 * (GST_DEBUG*, KMS_*), configuration files (kurento.conf.json, module .conf.ini files),
 * built-in defaults (Kurento's). Throws ConfigError with a message naming the flag, key
 * or variable and the file.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LoadResult {
  const cli = parseCommandLine(argv);
  if (cli.flags.has('help')) return { kind: 'help', text: helpText() };
  if (cli.flags.has('version')) return { kind: 'version', text: `Fluo ${FLUO_VERSION} (Kurento Protocol; API 7.3.0, 6.x clients accepted)` };
  const last = (k: string): string | undefined => cli.values.get(k)?.at(-1);

  const confArg = last('conf-file');
  const confFile = path.resolve(confArg ?? DEFAULT_CONF_FILE);
  const file = readConfFile(confFile);
  const confDir = path.dirname(confFile);
  const ms = obj(file.mediaServer, 'mediaServer', confFile);
  const res = obj(ms.resources, 'mediaServer.resources', confFile);
  const wsConf = obj(obj(ms.net, 'mediaServer.net', confFile).websocket, 'mediaServer.net.websocket', confFile);
  const k = new Keys(confFile);

  const portArg = last('port');
  const port = portArg !== undefined
    ? cliInt(portArg, '--port', 1, 65535)
    : k.int(wsConf.port, 'mediaServer.net.websocket.port', 8888, 1, 65535);
  const wsPath = k.str(wsConf.path, 'mediaServer.net.websocket.path', 'kurento').replace(/^\/+|\/+$/g, '');
  // Accepted for Kurento files; Node serves every connection on one event loop, and the
  // listen backlog is the operating system's default.
  k.int(wsConf.threads, 'mediaServer.net.websocket.threads', 10, 1, 1024);
  k.int(wsConf.connqueue, 'mediaServer.net.websocket.connqueue', 128, 1, 65535);
  const ipv6 = k.bool(wsConf.ipv6, 'mediaServer.net.websocket.ipv6', false);
  const host = k.str(wsConf.host, 'mediaServer.net.websocket.host', ipv6 ? '::' : '0.0.0.0');

  const websocket: FluoConfig['websocket'] = {
    host,
    port,
    path: wsPath,
    secure: readSecure(wsConf.secure, k, confDir, port),
    auth: readAuth(wsConf.auth, k, confDir),
    registrar: readRegistrar(wsConf.registrar, k),
  };

  const resources: FluoConfig['resources'] = {
    garbageCollectorPeriod: k.int(res.garbageCollectorPeriod, 'mediaServer.resources.garbageCollectorPeriod', 240, 1, 86_400),
    exceptionLimit: k.fraction(res.exceptionLimit, 'mediaServer.resources.exceptionLimit'),
    killLimit: k.fraction(res.killLimit, 'mediaServer.resources.killLimit'),
    disableRequestCache: k.bool(res.disableRequestCache, 'mediaServer.resources.disableRequestCache', false),
    requestCacheTimeout: k.int(res.requestCacheTimeout, 'mediaServer.resources.requestCacheTimeout', 20_000, 0, 3_600_000),
    maxMessageSize: k.int(res.maxMessageSize, 'mediaServer.resources.maxMessageSize', 1024 * 1024, 1024, 1 << 30),
    maxObjectsPerSession: k.int(res.maxObjectsPerSession, 'mediaServer.resources.maxObjectsPerSession', 10_000, 1, 1e9),
    maxOperationsPerTransaction: k.int(res.maxOperationsPerTransaction, 'mediaServer.resources.maxOperationsPerTransaction', 1000, 1, 1e6),
    sendBufferPause: k.int(res.sendBufferPause, 'mediaServer.resources.sendBufferPause', 4 * 1024 * 1024, 1024, 1 << 30),
    sendBufferClose: k.int(res.sendBufferClose, 'mediaServer.resources.sendBufferClose', 32 * 1024 * 1024, 1024, 1 << 30),
    sendBufferTimeout: k.int(res.sendBufferTimeout, 'mediaServer.resources.sendBufferTimeout', 60, 1, 86_400),
    maxObjectsPerConnection: k.int(res.maxObjectsPerConnection, 'mediaServer.resources.maxObjectsPerConnection', 10_000, 1, 1e9),
    maxObjects: k.int(res.maxObjects, 'mediaServer.resources.maxObjects', 50_000, 1, 1e9),
    maxSessionsPerConnection: k.int(res.maxSessionsPerConnection, 'mediaServer.resources.maxSessionsPerConnection', 100, 1, 1e9),
    maxSessions: k.int(res.maxSessions, 'mediaServer.resources.maxSessions', 10_000, 1, 1e9),
    maxConnections: k.int(res.maxConnections, 'mediaServer.resources.maxConnections', 1000, 1, 1e9),
    maxTagsPerObject: k.int(res.maxTagsPerObject, 'mediaServer.resources.maxTagsPerObject', 64, 0, 1e6),
    maxTagLength: k.int(res.maxTagLength, 'mediaServer.resources.maxTagLength', 4096, 1, 1 << 30),
  };

  if (resources.sendBufferClose <= resources.sendBufferPause) {
    throw new ConfigError(`${confFile}: mediaServer.resources.sendBufferClose (${resources.sendBufferClose}) must be larger than sendBufferPause (${resources.sendBufferPause})`);
  }

  const sec = obj(ms.security, 'mediaServer.security', confFile);
  const security: FluoConfig['security'] = {
    isolateSessions: k.bool(sec.isolateSessions, 'mediaServer.security.isolateSessions', false),
    fileRoots: k.strings(sec.fileRoots, 'mediaServer.security.fileRoots', ['/']).map((r) => path.resolve(confDir, r)),
    deniedDestinations: k.strings(sec.deniedDestinations, 'mediaServer.security.deniedDestinations', []),
    allowedDestinations: k.strings(sec.allowedDestinations, 'mediaServer.security.allowedDestinations', []),
    verifyImageCertificates: k.bool(sec.verifyImageCertificates, 'mediaServer.security.verifyImageCertificates', false),
  };
  try {
    new DestinationPolicy(security.deniedDestinations, security.allowedDestinations);
  } catch (err) {
    throw new ConfigError(`${confFile}: mediaServer.security.deniedDestinations/allowedDestinations: ${(err as Error).message}`);
  }

  const met = obj(ms.metrics, 'mediaServer.metrics', confFile);
  const metrics: FluoConfig['metrics'] = { allow: k.strings(met.allow, 'mediaServer.metrics.allow', []) };
  try {
    new OpsAccess(metrics.allow);
  } catch (err) {
    throw new ConfigError(`${confFile}: mediaServer.metrics.allow: ${(err as Error).message}`);
  }

  const wh = obj(ms.whip, 'mediaServer.whip', confFile);
  const whip: FluoConfig['whip'] = { allow: k.strings(wh.allow, 'mediaServer.whip.allow', []), tokens: k.strings(wh.tokens, 'mediaServer.whip.tokens', []) };
  try {
    new OpsAccess(whip.allow);
  } catch (err) {
    throw new ConfigError(`${confFile}: mediaServer.whip.allow: ${(err as Error).message}`);
  }
  if (whip.tokens.some((t) => !/^[\x21-\x7e]{16,}$/.test(t))) throw new ConfigError(`${confFile}: mediaServer.whip.tokens: each token must be at least 16 printable characters without spaces`);

  const workersArg = last('media-workers');
  const workers = workersArg !== undefined
    ? cliInt(workersArg, '--media-workers', 0, 256)
    : k.int(ms.mediaWorkers, 'mediaServer.mediaWorkers', 0, 0, 256);

  const eng = obj(ms.engine, 'mediaServer.engine', confFile);
  const engineProcesses = k.int(eng.processes, 'mediaServer.engine.processes', 0, 0, 256);
  const engine: FluoConfig['engine'] = {
    processes: engineProcesses === 0 ? os.availableParallelism() : engineProcesses,
    isolatePipelines: k.bool(eng.isolatePipelines, 'mediaServer.engine.isolatePipelines', false),
    heartbeatTimeoutMs: k.int(eng.heartbeatTimeout, 'mediaServer.engine.heartbeatTimeout', 5000, 500, 600_000),
  };

  const modulesArg = last('modules-config-path');
  const modulesConfigPath = path.resolve(modulesArg ?? path.join(confDir, 'modules'));
  const modules = applyEnvironment(readModulesConfig(modulesConfigPath, modulesArg !== undefined), env, modulesConfigPath);

  const logsArg = last('logs-path');
  const config: FluoConfig = {
    websocket,
    resources,
    security,
    metrics,
    whip,
    mediaWorkers: workers === 0 ? os.availableParallelism() : workers,
    mediaWorkersWarm: k.bool(ms.mediaWorkersWarm, 'mediaServer.mediaWorkersWarm', true),
    mediaWorkerSemiSpaceMb: k.int(ms.mediaWorkerSemiSpaceMb, 'mediaServer.mediaWorkerSemiSpaceMb', 4, 1, 256),
    // FLUO_PIPELINE_SPREAD overrides the file (the test runner's spread runs).
    pipelineSpreadThreshold: env.FLUO_PIPELINE_SPREAD !== undefined && env.FLUO_PIPELINE_SPREAD !== ''
      ? cliInt(env.FLUO_PIPELINE_SPREAD, 'FLUO_PIPELINE_SPREAD', 0, 1_000_000)
      : k.int(ms.pipelineSpreadThreshold, 'mediaServer.pipelineSpreadThreshold', 50, 0, 1_000_000),
    ...webRtcPorts(env.FLUO_WEBRTC_PORT !== undefined && env.FLUO_WEBRTC_PORT !== '' ? ['FLUO_WEBRTC_PORT', env.FLUO_WEBRTC_PORT] : [`${k.file}: mediaServer.webRtcPort`, ms.webRtcPort],
      workers === 0 ? os.availableParallelism() : workers, modules),
    engine,
    modules,
    logging: {
      spec: debugSpec(cli, env),
      color: !cli.flags.has('gst-debug-no-color') && !env.GST_DEBUG_NO_COLOR,
      logsPath: logsArg !== undefined ? path.resolve(logsArg) : undefined,
      logFileSizeMb: cliInt(last('log-file-size') ?? '100', '--log-file-size', 1, 100_000),
      numberLogFiles: cliInt(last('number-log-files') ?? '10', '--number-log-files', 1, 10_000),
    },
    confFile,
    modulesConfigPath,
  };
  return { kind: 'run', config };
}

function readConfFile(confFile: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(confFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read configuration file ${confFile}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseJsonc(text);
  } catch (err) {
    throw new ConfigError(`${confFile}: ${(err as Error).message}`);
  }
  return obj(parsed, 'the top level', confFile);
}

/**
 * Debug thresholds: GST_DEBUG, then --gst-debug-level and --gst-debug on top (later
 * items win, so the flags override the variable). Kurento's suggested default applies
 * only when none of them is given, so an explicit setting is never mixed with it.
 */
function debugSpec(cli: CommandLine, env: NodeJS.ProcessEnv): string {
  if (cli.flags.has('gst-debug-disable')) return '0';
  const parts: string[] = [];
  const fromEnv = env.GST_DEBUG?.trim();
  if (fromEnv) {
    const errors = parseDebugSpec(fromEnv).errors;
    if (errors.length) throw new ConfigError(`GST_DEBUG: ${errors[0]}`);
    parts.push(fromEnv);
  }
  const level = cli.values.get('gst-debug-level')?.at(-1);
  if (level !== undefined) {
    if (parseLevel(level) === undefined) throw new ConfigError(`--gst-debug-level must be 0..9 or a level name, got '${level}'`);
    parts.push(level.trim());
  }
  for (const list of cli.values.get('gst-debug') ?? []) {
    const parsed = parseDebugSpec(list);
    if (parsed.errors.length) throw new ConfigError(`--gst-debug: ${parsed.errors[0]}`);
    parts.push(list.trim());
  }
  return parts.length ? parts.filter(Boolean).join(',') : DEFAULT_SPEC;
}

function readSecure(v: unknown, k: Keys, confDir: string, plainPort: number): FluoConfig['websocket']['secure'] {
  if (v === undefined) return undefined;
  const s = obj(v, 'mediaServer.net.websocket.secure', k.file);
  // Kurento: "Set to 0 or comment out the line to disable Secure WebSocket access".
  const port = k.int(s.port, 'mediaServer.net.websocket.secure.port', 0, 0, 65535);
  if (port === 0) return undefined;
  if (port === plainPort) throw new ConfigError(`${k.file}: mediaServer.net.websocket.secure.port (${port}) is the same as the plain WebSocket port`);
  const cert = k.str(s.certificate, 'mediaServer.net.websocket.secure.certificate', '');
  if (!cert) throw new ConfigError(`${k.file}: mediaServer.net.websocket.secure.certificate is needed when secure.port is set`);
  const certificate = path.resolve(confDir, cert);
  if (!fs.existsSync(certificate)) {
    throw new ConfigError(`${k.file}: mediaServer.net.websocket.secure.certificate: ${certificate} does not exist`);
  }
  const password = k.str(s.password, 'mediaServer.net.websocket.secure.password', '');
  readCertificate(certificate, password, k.file);
  return { port, certificate, password };
}

function readAuth(v: unknown, k: Keys, confDir: string): FluoConfig['websocket']['auth'] {
  const a = obj(v, 'mediaServer.net.websocket.auth', k.file);
  const opt = (key: string): string | undefined => k.str(a[key], `mediaServer.net.websocket.auth.${key}`, '') || undefined;
  const origins = a.allowedOrigins ?? [];
  if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(o))) {
    throw new ConfigError(`${k.file}: mediaServer.net.websocket.auth.allowedOrigins must be a list of origins such as "https://app.example.com", got ${JSON.stringify(origins)}`);
  }
  const keyFile = opt('jwtPublicKey');
  let jwtPublicKey: string | undefined;
  if (keyFile !== undefined) {
    const file = path.resolve(confDir, keyFile);
    try {
      jwtPublicKey = fs.readFileSync(file, 'utf8');
      rs256Key(jwtPublicKey);
    } catch (err) {
      throw new ConfigError(`${k.file}: mediaServer.net.websocket.auth.jwtPublicKey: ${file} is not a readable PEM public key or certificate: ${(err as Error).message}`);
    }
  }
  return { token: opt('token'), jwtSecret: opt('jwtSecret'), jwtPublicKey, allowedOrigins: origins as string[] };
}

function readRegistrar(v: unknown, k: Keys): FluoConfig['websocket']['registrar'] {
  if (v === undefined) return undefined;
  const r = obj(v, 'mediaServer.net.websocket.registrar', k.file);
  const address = k.str(r.address, 'mediaServer.net.websocket.registrar.address', '');
  if (!address) return undefined;
  if (!/^wss?:\/\/[^/\s]+/.test(address)) {
    throw new ConfigError(`${k.file}: mediaServer.net.websocket.registrar.address must be a ws:// or wss:// URL, got '${address}'`);
  }
  return { address, localAddress: k.str(r.localAddress, 'mediaServer.net.websocket.registrar.localAddress', 'localhost') };
}

function obj(v: unknown, key: string, file: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${file}: ${key} must be an object`);
  return v as Record<string, unknown>;
}

/**
 * Single-port mode's ports (issue 14 item 1), from `mediaServer.webRtcPort` or
 * FLUO_WEBRTC_PORT (which overrides the file: containers, and the test runner's
 * single-port runs): one base port (worker i takes base + i) or a port per worker (a
 * JSON array, or a comma-separated list in the environment), 0 or nothing for a port
 * per endpoint. The ports must exist and stay clear of the endpoints' own range
 * (BaseRtpEndpoint/WebRtcEndpoint minPort-maxPort), where RtpEndpoints take theirs.
 */
function webRtcPorts([key, raw]: [string, unknown], workers: number, modules: Record<string, Record<string, string>>): { webRtcPort: number; webRtcPorts?: number[] } {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' && raw.includes(',') ? raw.split(',') : undefined;
  const port = (v: unknown): number => {
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${key} must be a port (0 to 65535) or a list of ports, got ${JSON.stringify(raw)}`);
    return n;
  };
  if (raw === undefined || raw === null) return { webRtcPort: 0 };
  const ports = list ? list.map(port) : undefined;
  const base = ports ? (ports[0] ?? 0) : port(raw);
  if (!base && !ports) return { webRtcPort: 0 };
  if (ports && (ports.length !== workers || ports.includes(0) || new Set(ports).size !== ports.length)) {
    throw new ConfigError(`${key} lists ${ports.length} port(s) (${ports.join(', ')}) for ${workers} media worker(s): give one distinct port per worker, or one base port`);
  }
  const used = ports ?? Array.from({ length: workers }, (_, i) => base + i);
  if (used.at(-1)! > 65535) throw new ConfigError(`${key}: ${base} + ${workers} media worker(s) reaches past port 65535`);
  for (const cls of ['BaseRtpEndpoint', 'WebRtcEndpoint']) {
    const min = Number(modules[cls]?.minPort ?? 0);
    const max = Number(modules[cls]?.maxPort ?? 0);
    const clash = min && max ? used.find((p) => p >= min && p <= max) : undefined;
    if (clash !== undefined) throw new ConfigError(`${key}: port ${clash} is inside ${cls}.conf.ini minPort-maxPort (${min}-${max}), where endpoints take ports of their own; pick ports outside it`);
  }
  return ports ? { webRtcPort: base, webRtcPorts: ports } : { webRtcPort: base };
}

function cliInt(v: string, flag: string, min: number, max: number): number {
  const t = v.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
    throw new ConfigError(`${flag} must be an integer from ${min} to ${max}, got '${v}'`);
  }
  return Number(t);
}

/** Typed reads of kurento.conf.json members; errors name the key and the file. */
class Keys {
  constructor(readonly file: string) {}

  int(v: unknown, key: string, dflt: number, min: number, max: number): number {
    if (v === undefined || v === null) return dflt;
    // Kurento's own files write some numbers as strings ("exceptionLimit": "0.8").
    const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${this.file}: ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  }

  fraction(v: unknown, key: string): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 1) {
      throw new ConfigError(`${this.file}: ${key} must be a fraction of the resources, above 0 and at most 1, got ${JSON.stringify(v)}`);
    }
    return n;
  }

  bool(v: unknown, key: string, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new ConfigError(`${this.file}: ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  strings(v: unknown, key: string, dflt: readonly string[]): string[] {
    if (v === undefined || v === null) return [...dflt];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ConfigError(`${this.file}: ${key} must be a list of strings, got ${JSON.stringify(v)}`);
    return v as string[];
  }

  str(v: unknown, key: string, dflt: string): string {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'string') throw new ConfigError(`${this.file}: ${key} must be a string, got ${JSON.stringify(v)}`);
    return v;
  }
}
