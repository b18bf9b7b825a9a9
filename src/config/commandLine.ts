import { ConfigError } from './ConfigError.ts';

/**
 * Fluo's command line: kurento-media-server's options (Kurento docs, "Launch KMS":
 * -f/--conf-file, -c/--modules-config-path, -d/--logs-path, -s/--log-file-size,
 * -n/--number-log-files, and GStreamer's --gst-debug* options), plus --port and
 * --media-workers. Values are given as `--flag=value`, `--flag value`, `-f value` or
 * `-fvalue`.
 */
interface OptionSpec {
  readonly long: string;
  readonly short?: string;
  readonly takesValue: boolean;
  readonly arg?: string;
  readonly help?: string;
}

const OPTIONS: readonly OptionSpec[] = [
  { long: 'port', takesValue: true, arg: 'N', help: 'WebSocket port (overrides mediaServer.net.websocket.port)' },
  { long: 'conf-file', short: 'f', takesValue: true, arg: 'PATH', help: 'kurento.conf.json to read (default: config/kurento.conf.json of this installation)' },
  { long: 'modules-config-path', short: 'c', takesValue: true, arg: 'DIR', help: 'folder of <Class>.conf.ini files (default: modules/ beside the conf file)' },
  { long: 'logs-path', short: 'd', takesValue: true, arg: 'DIR', help: 'write rotating log files there instead of the console' },
  { long: 'log-file-size', short: 's', takesValue: true, arg: 'MB', help: 'size of one log file (default 100)' },
  { long: 'number-log-files', short: 'n', takesValue: true, arg: 'N', help: 'log files to keep (default 10)' },
  { long: 'gst-debug-level', takesValue: true, arg: 'LEVEL', help: 'default debug threshold: 0 NONE, 1 ERROR, 2 WARNING, 3 FIXME, 4 INFO, 5 DEBUG, 6 LOG, 7 TRACE, 9 MEMDUMP' },
  { long: 'gst-debug', takesValue: true, arg: 'LIST', help: 'per-category thresholds, e.g. "Kurento*:5,webrtc*:4" (repeatable)' },
  { long: 'gst-debug-no-color', takesValue: false, help: 'no colours in console logs (also GST_DEBUG_NO_COLOR=1)' },
  { long: 'gst-debug-disable', takesValue: false, help: 'no debug output at all' },
  { long: 'media-workers', takesValue: true, arg: 'N', help: 'media worker threads (default: mediaServer.mediaWorkers, 0 = one per core)' },
  // Accepted for KMS launch scripts; Fluo has no GStreamer plugins or binary modules to load.
  { long: 'modules-path', takesValue: true, arg: 'DIR' },
  { long: 'gst-plugin-path', takesValue: true, arg: 'DIR' },
  { long: 'help', short: 'h', takesValue: false, help: 'this text' },
  { long: 'version', short: 'V', takesValue: false, help: 'print the version (-v too, as kurento-media-server)' },
];

/** kurento-media-server's own short form of --version. */
const ALIASES: Record<string, string> = { v: 'version' };

export interface CommandLine {
  /** Values by long name, in the order given (the last wins unless repeatable). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** Options without a value that were given, by long name. */
  readonly flags: ReadonlySet<string>;
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const byLong = new Map(OPTIONS.map((o) => [o.long, o]));
  const byShort = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short!, o]));
  for (const [s, l] of Object.entries(ALIASES)) byShort.set(s, byLong.get(l)!);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      spec = byLong.get(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = byShort.get(arg[1]!);
      if (arg.length > 2) inline = arg.slice(2);
    }
    if (!spec) throw new ConfigError(`unknown option '${arg}' (see --help)`);
    const shown = arg.startsWith('--') ? `--${spec.long}` : `-${arg[1]}`;
    if (!spec.takesValue) {
      if (inline !== undefined) throw new ConfigError(`${shown} takes no value`);
      flags.add(spec.long);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // A following option is not a value (a negative number never is one here).
      if (next === undefined || (next.startsWith('-') && next.length > 1)) throw new ConfigError(`${shown} needs a value (${spec.arg})`);
      value = next;
      i++;
    }
    values.set(spec.long, [...(values.get(spec.long) ?? []), value]);
  }
  return { values, flags };
}

export function helpText(): string {
  const rows = OPTIONS.filter((o) => o.help).map((o) => {
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.long}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${names.padEnd(32)} ${o.help}`;
  });
  return `Usage: npm start -- [options]     (or: node src/fluo.mjs [options])

Fluo, a Kurento-compatible media server (Kurento Protocol, ws://host:8888/kurento).

Options (kurento-media-server's names):
${rows.join('\n')}

Environment:
  GST_DEBUG              debug thresholds, same syntax as --gst-debug with an optional
                         leading default level ("3,Kurento*:4"); the flags win over it
  GST_DEBUG_NO_COLOR     set to 1 for no colours
  KMS_STUN_IP, KMS_STUN_PORT, KMS_TURN_URL, KMS_NETWORK_INTERFACES, KMS_EXTERNAL_IPV4,
  KMS_EXTERNAL_IPV6, KMS_ICE_TCP
                         WebRtcEndpoint settings, as in Kurento's container image; they
                         override modules/kurento/WebRtcEndpoint.conf.ini
  KMS_MIN_PORT, KMS_MAX_PORT, KMS_MTU
                         BaseRtpEndpoint settings (RTP and ICE UDP port range, MTU)

Precedence: command line > environment > configuration files > built-in defaults.
`;
}
