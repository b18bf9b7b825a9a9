import type { MediaNode } from '../graph/MediaNode.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import { startsKeyframe } from '../graph/keyframes.ts';
import type { AvKind } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';

/**
 * A switch to a new video source waits at most this long for its keyframe (ms); the
 * old source is shown meanwhile. Past it the new source is taken anyway and the
 * viewer's decoder asks for its own keyframe.
 */
export const SWITCH_WAIT_MS = 1000;
/** While waiting, the new source is asked again this often (ms): one request can be lost, or refused by a sender's own rate limit. */
const ASK_AGAIN_MS = 250;

/**
 * Which port one hub port sends on, per media kind, for the routing hubs
 * (DispatcherOneToMany, Dispatcher, Mixer's video). Audio switches at once. Video
 * switches at the new source's first keyframe, which is asked for at once: until it
 * comes the old source goes on, so the viewer never decodes a picture that refers to
 * frames it never had (the seamless switch Kurento's dispatchers are used for).
 */
export class PortRoute {
  readonly sink: HubPortNode;
  readonly #current: Partial<Record<AvKind, HubPortNode>> = {};
  #pending: HubPortNode | undefined;
  #pendingSince = 0;
  #askedAt = 0;
  readonly #now: () => number;

  constructor(sink: HubPortNode, now: () => number = () => performance.now()) {
    this.sink = sink;
    this.#now = now;
  }

  /** The port `kind` is taken from (video: the new one while a switch waits for its keyframe). */
  source(kind: AvKind): HubPortNode | undefined {
    return kind === 'VIDEO' ? this.#pending ?? this.#current.VIDEO : this.#current.AUDIO;
  }

  /** Takes `kind` from `source` from now on (undefined: from nobody). */
  select(kind: AvKind, source: HubPortNode | undefined): void {
    if (kind === 'AUDIO') {
      if (this.#current.AUDIO === source) return;
      this.#current.AUDIO = source;
      this.sink.switched('AUDIO');
      return;
    }
    if (source === undefined || source === this.#current.VIDEO) {
      this.#pending = undefined;
      if (source === undefined) this.#current.VIDEO = undefined;
      return;
    }
    if (source === this.#pending) return;
    this.#pending = source;
    this.#pendingSince = this.#askedAt = this.#now();
    source.requestInputKeyframe(this.sink);
  }

  /** Whether a packet `from` received is sent on by this route's port. */
  takes(from: HubPortNode, kind: AvKind, pkt: MediaPacket): boolean {
    if (kind === 'AUDIO') return this.#current.AUDIO === from;
    if (from === this.#pending) {
      const now = this.#now();
      if (!startsKeyframe(pkt.codec.name, pkt.buf) && now - this.#pendingSince < SWITCH_WAIT_MS) {
        if (now - this.#askedAt >= ASK_AGAIN_MS) {
          this.#askedAt = now;
          from.requestInputKeyframe(this.sink);
        }
        return false;
      }
      this.#current.VIDEO = from;
      this.#pending = undefined;
      this.sink.switched('VIDEO');
      return true;
    }
    return this.#current.VIDEO === from;
  }

  /** Forgets `port` (released) wherever this route takes media from it. */
  drop(port: HubPortNode): void {
    if (this.#current.AUDIO === port) this.#current.AUDIO = undefined;
    if (this.#pending === port) this.#pending = undefined;
    if (this.#current.VIDEO === port) this.#current.VIDEO = undefined;
  }

  /** A sink of this route's port asks for a keyframe: the source it is or will be shown. */
  requestKeyframe(from: MediaNode): void {
    this.source('VIDEO')?.requestInputKeyframe(from);
  }
}
