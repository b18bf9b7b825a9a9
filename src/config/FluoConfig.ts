/** Fluo's resolved configuration: Kurento's `kurento.conf.json` keys plus CLI and environment. */
export interface FluoConfig {
  readonly websocket: {
    readonly host: string;
    readonly port: number;
    readonly path: string;
    readonly secure?: { readonly port: number; readonly certificate: string; readonly password: string };
  };
  readonly resources: {
    /** Seconds between session garbage-collector rounds (Kurento default 240). */
    readonly garbageCollectorPeriod: number;
    readonly disableRequestCache: boolean;
    /** Duplicate-request window in ms (Kurento: 20 s). */
    readonly requestCacheTimeout: number;
    readonly maxMessageSize: number;
    readonly maxObjectsPerSession: number;
  };
  /** Media worker threads; resolved (one per core when the file says 0). */
  readonly mediaWorkers: number;
  /** `<Class>.conf.ini` values, e.g. modules.WebRtcEndpoint.stunServerAddress. */
  readonly modules: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly logging: {
    readonly spec: string;
    readonly color: boolean;
    readonly logsPath?: string;
    readonly logFileSizeMb: number;
    readonly numberLogFiles: number;
  };
  readonly confFile: string;
  readonly modulesConfigPath: string;
}
