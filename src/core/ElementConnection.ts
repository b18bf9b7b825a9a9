import type { MediaElement } from './MediaElement.ts';

export type MediaType = 'AUDIO' | 'VIDEO' | 'DATA';
export const MEDIA_TYPES: readonly MediaType[] = ['AUDIO', 'VIDEO', 'DATA'];

/** Kurento names the pads of a plain `connect` "default" (KMD MediaElement.connect). */
export const DEFAULT_DESCRIPTION = 'default';

/** One edge of the element graph: one media type from one source pad to one sink pad. */
export class ElementConnection {
  constructor(
    readonly source: MediaElement,
    readonly sink: MediaElement,
    readonly type: MediaType,
    readonly sourceDescription: string,
    readonly sinkDescription: string,
  ) {}

  /** Key of the sink input this connection feeds: one source per (type, description). */
  get sinkKey(): string {
    return `${this.type}/${this.sinkDescription}`;
  }

  /** KMD `ElementConnectionData`. */
  toData(): Record<string, unknown> {
    return {
      source: this.source,
      sink: this.sink,
      type: this.type,
      sourceDescription: this.sourceDescription,
      sinkDescription: this.sinkDescription,
    };
  }
}
