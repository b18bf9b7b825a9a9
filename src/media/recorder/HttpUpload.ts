import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long an upload waits for the server's connection before it is an error (ms). */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A recording sent to an HTTP(S) URL while it is written (KMD RecorderEndpoint: "a POST
 * request will be used against a remote server. The server must support using the
 * chunked encoding mode"): the engine's muxer writes into a private named FIFO, this
 * side reads it and streams it as the body of one chunked POST (RFC 9112 §7.1).
 * Credentials in the URL become Basic authentication (RFC 7617).
 */
export class HttpUpload {
  readonly path: string;
  readonly #dir: string;
  readonly #pipe: Socket;
  readonly #request: http.ClientRequest;
  readonly #done: Promise<void>;
  #bytes = 0;
  #lastData = 0;
  #failed: Error | undefined;
  #closed = false;

  private constructor(url: URL, onError: (err: Error) => void) {
    this.#dir = mkdtempSync(join(tmpdir(), 'fluo-upload-'));
    this.path = join(this.#dir, 'recording');
    // Node has no mkfifo; coreutils' is on every Debian.
    execFileSync('mkfifo', ['-m', '600', this.path]);
    // O_RDWR: a read never sees EOF before the engine opens the FIFO (fifo(7)).
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.#pipe = new Socket({ fd, readable: true, writable: false });
    const lib = url.protocol === 'https:' ? https : http;
    const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
    this.#request = lib.request(url, {
      method: 'POST', auth, timeout: CONNECT_TIMEOUT_MS,
      headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/octet-stream' },
    });
    this.#done = new Promise<void>((resolve, reject) => {
      this.#request.on('response', (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`the server answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim()))));
      });
      this.#request.on('error', reject);
      this.#request.on('timeout', () => this.#request.destroy(new Error(`no answer from ${url.host} within ${CONNECT_TIMEOUT_MS} ms`)));
    });
    this.#done.catch((err: Error) => {
      this.#failed = err;
      if (!this.#closed) onError(err);
    });
    this.#pipe.on('data', (b: Buffer) => {
      this.#bytes += b.length;
      this.#lastData = performance.now();
      if (!this.#failed) this.#request.write(b);
    });
    this.#pipe.on('error', () => undefined);
  }

  /** Opens the connection first: an unreachable server is an error before anything records. */
  static async open(url: URL, onError: (err: Error) => void): Promise<HttpUpload> {
    const up = new HttpUpload(url, onError);
    try {
      await new Promise<void>((resolve, reject) => {
        up.#request.once('socket', (s: Socket) => {
          if (!s.connecting) resolve();
          s.once('connect', () => resolve());
          s.once('secureConnect', () => resolve());
        });
        up.#done.catch(reject);
        up.#request.flushHeaders();
      });
    } catch (err) {
      up.close();
      throw err;
    }
    return up;
  }

  /** The end of the engine bin: the muxer's bytes go into the FIFO, unbuffered. */
  sinkDescription(): string {
    return `filesink location=${this.path} buffer-mode=unbuffered sync=false`;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Ends the body once the muxer's last bytes are read, and waits for the server's answer. */
  async finish(): Promise<void> {
    // The engine wrote its last bytes before its EOS; give the pipe a moment to drain.
    while (performance.now() - this.#lastData < 100) await new Promise((r) => setTimeout(r, 50));
    this.#pipe.destroy();
    if (this.#failed) throw this.#failed;
    this.#request.end();
    await this.#done;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pipe.destroy();
    if (!this.#request.writableEnded) this.#request.destroy();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
