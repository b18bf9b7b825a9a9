import { MediaNode, type EmitFn } from '../graph/MediaNode.ts';
import type { PipeMessage, PipeOptions } from '../../shared/workerProtocol.ts';
import type { PipeEnd, PipeLinks } from './PipeLinks.ts';

/**
 * What both ends of a pipe (PipeOutNode, PipeInNode) are: a media node registered for
 * its pipe's messages on this worker's links, posting to the worker of the other end,
 * and unregistered when it closes.
 */
export abstract class PipeEndNode extends MediaNode implements PipeEnd {
  /** The pipe's name, the same on both workers (every message carries it). */
  protected readonly pipe: string;
  readonly #peer: number;
  readonly #links: PipeLinks;

  constructor(id: string, emit: EmitFn, kind: 'PipeOut' | 'PipeIn', options: PipeOptions, links: PipeLinks) {
    super(id, emit, kind);
    this.pipe = options.pipe;
    this.#peer = options.peer;
    this.#links = links;
    links.register(this.pipe, this);
  }

  /** A message for this end from the other one. */
  abstract receive(m: PipeMessage): void;

  /** Sends to the other end; false when there is no channel to its worker (it stopped). */
  protected post(m: PipeMessage, transfer?: ArrayBuffer[]): boolean {
    return this.#links.post(this.#peer, m, transfer);
  }

  protected override onClose(): void {
    this.#links.unregister(this.pipe, this);
  }
}
