import type { MessagePort } from 'node:worker_threads';
import type { PipeMessage } from '../../shared/workerProtocol.ts';

/** A pipe end on this worker: what arrives for its pipe is handed to it. */
export interface PipeEnd {
  receive(m: PipeMessage): void;
}

/**
 * This worker's channels to the other media workers (a MessagePort each, made by the
 * pool), and the pipe ends that use them. Each message names its pipe; a message for a
 * pipe this worker does not hold (the other end made it first, or it was just released)
 * is dropped: the ends' `hello` and keyframe requests make up for what the start loses.
 */
export class PipeLinks {
  readonly #ports = new Map<number, MessagePort>();
  readonly #ends = new Map<string, PipeEnd>();

  /** A channel to worker `peer`, replacing an older one (that worker was restarted). */
  connect(peer: number, port: MessagePort): void {
    this.#ports.get(peer)?.close();
    this.#ports.set(peer, port);
    port.on('message', (m: PipeMessage) => this.#ends.get(m.pipe)?.receive(m));
    port.on('close', () => {
      if (this.#ports.get(peer) === port) this.#ports.delete(peer);
    });
    // The worker lives while the pool's own port to it is open; a channel must not keep it.
    port.unref();
  }

  /** Sends to the other end of a pipe; false when there is no channel to that worker (it stopped). */
  post(peer: number, m: PipeMessage, transfer?: ArrayBuffer[]): boolean {
    const port = this.#ports.get(peer);
    if (!port) return false;
    port.postMessage(m, transfer);
    return true;
  }

  register(pipe: string, end: PipeEnd): void {
    this.#ends.set(pipe, end);
  }

  unregister(pipe: string, end: PipeEnd): void {
    if (this.#ends.get(pipe) === end) this.#ends.delete(pipe);
  }

  close(): void {
    for (const port of this.#ports.values()) port.close();
    this.#ports.clear();
    this.#ends.clear();
  }
}

/** The worker's one set of links (each worker thread has its own instance of this module). */
export const pipeLinks = new PipeLinks();
