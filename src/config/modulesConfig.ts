import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from './ConfigError.ts';
import { parseIni } from './parseIni.ts';
import { parseJsonc } from './parseJsonc.ts';
import { parseTurnUrl, redactTurnUrl, TURN_URL_FORM } from '../shared/turnUrl.ts';
import { readDtlsCertificate } from '../shared/dtlsCertificatePem.ts';

export type ModulesConfig = Record<string, Record<string, string>>;

const CONF = /^(.+)\.conf\.(ini|json)$/;

/**
 * Reads the module settings folder as Kurento lays it out: `<dir>/<module>/<Class>.conf.ini`
 * (`<dir>/kurento/WebRtcEndpoint.conf.ini`), also accepting files directly in `<dir>`.
 * Files directly in `<dir>` are read first, so a module folder's file wins key by key.
 * `<Class>.conf.json` files are read too (Kurento ships SdpEndpoint.conf.json), their
 * scalar members flattened to strings with dotted names.
 *
 * A missing folder is an error only when `required` (given on the command line).
 */
export function readModulesConfig(dir: string, required: boolean): ModulesConfig {
  const out: ModulesConfig = {};
  if (!fs.existsSync(dir)) {
    if (required) throw new ConfigError(`modules config path ${dir} does not exist`);
    return out;
  }
  if (!fs.statSync(dir).isDirectory()) throw new ConfigError(`modules config path ${dir} is not a folder`);
  const files: string[] = [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) if (e.isFile() && CONF.test(e.name)) files.push(path.join(dir, e.name));
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(dir, e.name)).sort()) {
      if (CONF.test(f)) files.push(path.join(dir, e.name, f));
    }
  }
  for (const file of files) {
    const m = CONF.exec(path.basename(file))!;
    const cls = m[1]!;
    let values: Record<string, string>;
    try {
      const text = fs.readFileSync(file, 'utf8');
      values = m[2] === 'ini' ? parseIni(text) : flatten(parseJsonc(text));
    } catch (err) {
      throw new ConfigError(`${file}: ${(err as Error).message}`);
    }
    out[cls] = { ...(out[cls] ?? {}), ...values };
  }
  return out;
}

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (!k.startsWith('//')) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * Environment variables of Kurento's container image (its entrypoint writes them into
 * the module files): class, key. Empty values are ignored, as there.
 */
const KMS_ENV: ReadonlyArray<readonly [string, string, string]> = [
  ['KMS_MIN_PORT', 'BaseRtpEndpoint', 'minPort'],
  ['KMS_MAX_PORT', 'BaseRtpEndpoint', 'maxPort'],
  ['KMS_MTU', 'BaseRtpEndpoint', 'mtu'],
  ['KMS_EXTERNAL_IPV4', 'WebRtcEndpoint', 'externalIPv4'],
  ['KMS_EXTERNAL_IPV6', 'WebRtcEndpoint', 'externalIPv6'],
  ['KMS_NETWORK_INTERFACES', 'WebRtcEndpoint', 'networkInterfaces'],
  ['KMS_ICE_TCP', 'WebRtcEndpoint', 'iceTcp'],
  ['KMS_STUN_IP', 'WebRtcEndpoint', 'stunServerAddress'],
  ['KMS_STUN_PORT', 'WebRtcEndpoint', 'stunServerPort'],
  ['KMS_TURN_URL', 'WebRtcEndpoint', 'turnURL'],
];

/** Keys WebRtcEndpoint and RtpEndpoint take from BaseRtpEndpoint when they do not set them (they are BaseRtpEndpoints). */
const INHERITED_FROM_BASE_RTP = ['minPort', 'maxPort', 'mtu'];

/**
 * Applies KMS_* variables over the files, lets the RTP endpoints inherit the
 * BaseRtpEndpoint settings, and checks the values Fluo reads. `where` names the source
 * of each value in errors (file or variable).
 */
export function applyEnvironment(modules: ModulesConfig, env: NodeJS.ProcessEnv, modulesDir: string): ModulesConfig {
  const out: ModulesConfig = {};
  for (const [cls, values] of Object.entries(modules)) out[cls] = { ...values };
  const where = new Map<string, string>();
  for (const [cls, values] of Object.entries(out)) {
    for (const key of Object.keys(values)) where.set(`${cls}.${key}`, `${cls}.conf.ini (${modulesDir}): ${key}`);
  }
  for (const [name, cls, key] of KMS_ENV) {
    const v = env[name]?.trim();
    if (!v) continue;
    out[cls] = { ...(out[cls] ?? {}), [key]: v };
    where.set(`${cls}.${key}`, `${name} (${cls} ${key})`);
  }
  for (const cls of ['WebRtcEndpoint', 'RtpEndpoint']) {
    const base = out.BaseRtpEndpoint ?? {};
    for (const key of INHERITED_FROM_BASE_RTP) {
      if (base[key] === undefined || out[cls]?.[key] !== undefined) continue;
      out[cls] = { ...(out[cls] ?? {}), [key]: base[key] };
      where.set(`${cls}.${key}`, where.get(`BaseRtpEndpoint.${key}`) ?? key);
    }
  }
  const name = (cls: string, key: string): string => where.get(`${cls}.${key}`) ?? `${cls} ${key}`;
  for (const cls of ['BaseRtpEndpoint', 'WebRtcEndpoint', 'RtpEndpoint']) {
    const c = out[cls];
    if (!c) continue;
    const minPort = checkInt(c.minPort, name(cls, 'minPort'), 0, 65535);
    const maxPort = checkInt(c.maxPort, name(cls, 'maxPort'), 0, 65535);
    if (minPort && maxPort && minPort > maxPort) {
      throw new ConfigError(`${name(cls, 'minPort')} (${minPort}) is greater than ${name(cls, 'maxPort')} (${maxPort})`);
    }
    checkInt(c.mtu, name(cls, 'mtu'), 576, 65535);
  }
  const w = out.WebRtcEndpoint;
  if (w) checkWebRtc(w, (key) => name('WebRtcEndpoint', key));
  return out;
}

function checkWebRtc(w: Record<string, string>, name: (key: string) => string): void {
  checkInt(w.stunServerPort, name('stunServerPort'), 1, 65535);
  // Kurento: "stunServerAddress MUST be an IP address; domain names are NOT supported".
  if (w.stunServerAddress !== undefined && w.stunServerAddress !== '' && net.isIP(w.stunServerAddress) === 0) {
    throw new ConfigError(`${name('stunServerAddress')} must be an IP address (host names are not resolved, as in Kurento), got '${w.stunServerAddress}'`);
  }
  if (w.turnURL !== undefined && w.turnURL !== '') {
    const turn = parseTurnUrl(w.turnURL);
    if (!turn.ok) {
      throw new ConfigError(`${name('turnURL')} must be ${TURN_URL_FORM}: ${turn.reason}, got '${redactTurnUrl(w.turnURL)}'`);
    }
  }
  for (const [key, family] of [['externalIPv4', 4], ['externalIPv6', 6]] as const) {
    const v = w[key];
    if (v === undefined || v === '') continue;
    if (v === 'auto') {
      throw new ConfigError(`${name(key)}: 'auto' needs an outside address lookup, which Fluo does not do; give the address`);
    }
    if (net.isIP(v) !== family) throw new ConfigError(`${name(key)} must be an IPv${family} address, got '${v}'`);
  }
  for (const keyType of ['RSA', 'ECDSA'] as const) {
    const file = w[`pemCertificate${keyType}`];
    if (file === undefined || file === '') continue;
    if (!path.isAbsolute(file)) throw new ConfigError(`${name(`pemCertificate${keyType}`)} must be an absolute path, got '${file}'`);
    try {
      readDtlsCertificate(file, keyType);
    } catch (err) {
      throw new ConfigError(`${name(`pemCertificate${keyType}`)}: ${(err as Error).message}`);
    }
  }
  if (w.iceTcp !== undefined && w.iceTcp !== '' && !/^(0|1|true|false)$/i.test(w.iceTcp)) {
    throw new ConfigError(`${name('iceTcp')} must be 1 or 0 (or true/false), got '${w.iceTcp}'`);
  }
}

function checkInt(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${v}'`);
  }
  return Number(v);
}
