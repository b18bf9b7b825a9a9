import fs from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from './ConfigError.ts';

/** What https.createServer needs from Kurento's `secure.certificate` PEM file. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly passphrase: string | undefined;
}

const KEY = 'mediaServer.net.websocket.secure.certificate';

/**
 * Reads and checks Kurento's WSS certificate file: one PEM file holding the
 * certificate (chain) and its private key, decrypted with `password` (Kurento's
 * `mediaServer.net.websocket.secure`). Every failure is a ConfigError naming the
 * setting, the file and what is wrong, raised before the server listens on anything
 * (issue 16, defect 6: a directory, a non-PEM file or a certificate without its key
 * stopped the server with a bare EISDIR or OpenSSL message, after the plain port was
 * already listening).
 */
export function readCertificate(file: string, password: string, confFile?: string): TlsFiles {
  const where = `${confFile ? `${confFile}: ` : ''}${KEY}: ${file}`;
  let text: string;
  try {
    if (fs.statSync(file).isDirectory()) throw new ConfigError(`${where} is a directory, not a PEM file`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${where} cannot be read: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
    throw new ConfigError(`${where} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError(`${where} holds a certificate but no private key: append the key to the certificate in one PEM file`);
  }
  const files: TlsFiles = { cert: text, key: text, passphrase: password || undefined };
  try {
    tls.createSecureContext(files);
  } catch (err) {
    const reason = (err as Error).message;
    // A wrong password usually fails the decryption's padding check ("bad decrypt"), but
    // about once in 256 tries the garbage passes it and only the key's parsing fails
    // ("DECODER routines::unsupported"): with an encrypted key, name the password either way.
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text);
    const hint = /bad decrypt|passphrase|decrypt/i.test(reason) || (encrypted && !/mismatch/i.test(reason))
      ? ' (is mediaServer.net.websocket.secure.password right?)'
      : /mismatch/i.test(reason) ? ' (the private key is not the certificate\'s)' : '';
    throw new ConfigError(`${where} is not a usable certificate and key: ${reason}${hint}`);
  }
  return files;
}
