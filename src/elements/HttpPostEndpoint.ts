import { constants, openSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { SessionEndpoint } from './SessionEndpoint.ts';
import { KurentoError } from '../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../core/types.ts';
import type { EventMessage } from '../shared/workerProtocol.ts';
import type { HttpEndpointServer } from '../server/HttpEndpointServer.ts';

/** KMD HttpPostEndpoint.disconnectionTimeout default (s). */
const DISCONNECTION_TIMEOUT_S = 2;
/** The largest body taken (bytes): beyond it the POST is answered 413 (RFC 9110 §15.5.14). */
const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

/** The POST being received: its request, its answer, and the FIFO its body goes into. */
interface Upload {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  out: Socket | undefined;
  bytes: number;
  done: boolean;
}

/**
 * KMD `HttpPostEndpoint` (extends HttpEndpoint): media POSTed by a client to `getUrl()`
 * played into the pipeline. The URL is on Fluo's one HttpEndpointServer (main thread);
 * the body goes from the request straight into a FIFO the media node made
 * (`beginUpload`), read by its engine bin, with the request paused while the FIFO is
 * full, so the upload is taken at the pace the media plays. One POST at a time (409
 * otherwise). A body the engine cannot play ends the POST with 415 and raises `Error`;
 * `EndOfStream` comes from the node once the upload is played out.
 */
export class HttpPostEndpoint extends SessionEndpoint {
  readonly #server: HttpEndpointServer;
  readonly #path: string;
  readonly #url: Promise<string>;
  #upload: Upload | undefined;

  constructor(init: ObjectInit, params: Params) {
    super(init);
    const server = init.settings.httpEndpoints;
    if (!server) throw new KurentoError('HTTP_END_POINT_REGISTRATION_ERROR', 'This server has no HTTP endpoint server');
    const timeout = Number(params.disconnectionTimeout ?? DISCONNECTION_TIMEOUT_S);
    this.createMedia('HttpPostEndpoint', {
      useEncodedMedia: params.useEncodedMedia === true,
      disconnectionTimeout: Number.isFinite(timeout) && timeout >= 0 ? timeout : DISCONNECTION_TIMEOUT_S,
    });
    this.#server = server;
    const reg = server.register({ post: (req, res) => void this.#post(req, res) });
    this.#path = reg.path;
    this.#url = reg.url;
    // Answered (as an error) by getUrl.
    this.#url.catch(() => undefined);
  }

  /** KMD HttpEndpoint.getUrl. */
  async getUrl(_p: Params): Promise<string> {
    try {
      return await this.#url;
    } catch (err) {
      throw new KurentoError('HTTP_END_POINT_REGISTRATION_ERROR', `The HTTP endpoint server cannot listen (HttpEndpoint.conf.ini serverAddress/serverPort): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  override mediaEvent(event: EventMessage): void {
    // The engine refused the body: the POST still running learns it as 415 (RFC 9110 §15.5.16).
    if (event.name === 'Error' && this.#upload) this.#finish(this.#upload, 415, `${event.data.description}\n`);
    super.mediaEvent(event);
  }

  async #post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const length = Number(req.headers['content-length'] ?? 0);
    if (this.#upload) return this.#refuse(req, res, 409, 'Another upload to this endpoint is in progress');
    if (length > MAX_UPLOAD_BYTES) return this.#refuse(req, res, 413, `The body is larger than ${MAX_UPLOAD_BYTES} bytes`);
    const up: Upload = { req, res, out: undefined, bytes: 0, done: false };
    this.#upload = up;
    req.pause();
    let fifo: string;
    try {
      fifo = await this.mediaCall('beginUpload', {});
      // Non-blocking: the node holds the FIFO open for reading, so this never waits (fifo(7)).
      up.out = new Socket({ fd: openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK), readable: false, writable: true });
    } catch (err) {
      this.#finish(up, 503, `The endpoint cannot take an upload now: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    if (up.done) return;
    const out = up.out;
    // EPIPE: the engine stopped reading (the node's Error event says why).
    out.on('error', () => this.#finish(up, 415, 'The uploaded media cannot be played\n'));
    out.on('drain', () => req.resume());
    req.on('data', (chunk: Buffer) => {
      up.bytes += chunk.length;
      if (up.bytes > MAX_UPLOAD_BYTES) { this.#finish(up, 413, `The body is larger than ${MAX_UPLOAD_BYTES} bytes\n`); return; }
      if (!out.write(chunk)) req.pause();
    });
    req.on('end', () => {
      out.end(() => {
        if (up.done) return;
        this.mediaPost('endUpload', { complete: true });
        this.#finish(up, 200, `${up.bytes} bytes received\n`);
      });
    });
    // The connection was lost before the body's end: a new POST may resume it (KMD disconnectionTimeout).
    req.on('close', () => {
      if (up.done || req.complete) return;
      this.mediaPost('endUpload', { complete: false });
      this.#finish(up, 0, '');
    });
    req.resume();
  }

  #refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain', Connection: 'close' }).end(`${text}\n`);
    req.resume();
  }

  /** Answers the POST (status 0: the connection is gone, nothing to answer) and frees the FIFO's write end. */
  #finish(up: Upload, status: number, text: string): void {
    if (up.done) return;
    up.done = true;
    if (this.#upload === up) this.#upload = undefined;
    up.out?.destroy();
    if (status && !up.res.headersSent && !up.res.destroyed) {
      up.res.writeHead(status, { 'Content-Type': 'text/plain', ...(status === 200 ? {} : { Connection: 'close' }) }).end(text);
      // The rest of a refused body is not read: the connection goes once the answer is out.
      if (status !== 200) up.res.once('finish', () => up.req.destroy());
    } else if (status !== 200) up.req.destroy();
  }

  protected override onRelease(): void {
    if (this.#upload) this.#finish(this.#upload, 0, '');
    this.#server.unregister(this.#path);
  }
}
