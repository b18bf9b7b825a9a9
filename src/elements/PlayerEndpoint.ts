import { UriEndpoint } from './UriEndpoint.ts';
import type { ObjectInit, Params } from '../core/types.ts';
import type { VideoInfo } from '../shared/workerProtocol.ts';

/** KMD PlayerEndpoint.networkCache default (ms). */
const NETWORK_CACHE_MS = 2000;

/**
 * KMD `PlayerEndpoint`: plays a file, an HTTP(S) resource or an RTSP stream into the
 * pipeline. The media node (PlayerEndpointNode) reads it in the media engine; this
 * class holds the Kurento view: `play`/`pause`/`stop` (UriEndpoint), position, video
 * info and the DOT of the element's own engine pipeline. Its state follows the node's
 * UriEndpointStateChanged events; `EndOfStream` comes from the node.
 */
export class PlayerEndpoint extends UriEndpoint {
  constructor(init: ObjectInit, params: Params) {
    super(init, params, ['file', 'http', 'https', 'rtsp', 'rtsps']);
    const cache = Number(params.networkCache ?? NETWORK_CACHE_MS);
    this.createMedia('PlayerEndpoint', {
      uri: String(params.uri), useEncodedMedia: params.useEncodedMedia === true, networkCache: Number.isFinite(cache) && cache >= 0 ? cache : NETWORK_CACHE_MS,
      destinations: init.settings.destinations?.lists ?? { deny: [], allow: [] },
    });
  }

  async play(_p: Params): Promise<void> {
    // The node checks the URI's host against the destination lists before it fetches anything.
    await this.mediaCall('play', {});
  }

  getVideoInfo(_p: Params): Promise<VideoInfo> {
    return this.mediaCall('getVideoInfo', {});
  }

  getPosition(_p: Params): Promise<number> {
    return this.mediaCall('getPosition', {});
  }

  async setPosition(p: Params): Promise<void> {
    await this.mediaCall('setPosition', { position: Number(p.position) });
  }

  getElementGstreamerDot(_p: Params): Promise<string> {
    return this.mediaCall('getElementGstreamerDot', {});
  }
}
