import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The official kurento-client, as applications use it. It is CommonJS without types;
 * tutorials touch it only through this loose alias.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Kurento = any;
const kurento = require('kurento-client') as ((uri: string, opts?: object) => Kurento) & {
  getComplexType(name: string): (v: unknown) => Kurento;
  register(module: string): void;
};

/** Builds a KMD complex value (IceCandidate, ...) the way the Node tutorials do. */
export function complexType(name: string, value: unknown): Kurento {
  return kurento.getComplexType(name)(value);
}

/**
 * Loads one of Kurento's client modules (kurento-module-pointerdetector, ...), as the
 * module tutorials do (`kurento.register('kurento-module-pointerdetector')`): without it
 * kurento-client refuses to create the module's classes.
 */
export function registerModule(name: string): void {
  kurento.register(name);
}

/** Connects to the media server; a dropped socket is reported, never thrown. */
export async function connectKurento(wsUri: string): Promise<Kurento> {
  const raw = kurento(wsUri, { failAfter: 5, request_timeout: 10_000 });
  // With reconnect-ws from npm, an 'error' without a listener would kill the app.
  raw._re.on('error', (err: Error) => console.error(`kurento-client: ${err.message}`));
  return await raw;
}

/**
 * Calls a kurento-client method in callback style. kurento-client 7.3 on Node 20
 * resolves a failed call's promise with undefined and reports the error only to the
 * callback, so tutorials use this to see errors.
 */
export function call<T>(target: Kurento, method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    target[method](...args, (err: Error | null | undefined, value: T) => (err ? reject(err) : resolve(value)));
  });
}
