/**
 * A configuration problem found at start-up (bad flag, unreadable or invalid file, bad
 * environment value). Its message names the flag, key or variable and the file; `main`
 * prints it and exits with status 1. Not a KurentoError: it never reaches a client.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
