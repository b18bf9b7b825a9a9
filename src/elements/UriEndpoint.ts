import { refusedHost } from '../shared/DestinationPolicy.ts';
import { KurentoError } from '../shared/KurentoError.ts';
import { MediaElement } from '../core/MediaElement.ts';
import type { ObjectInit, Params } from '../core/types.ts';
import type { EventMessage } from '../shared/workerProtocol.ts';

/**
 * KMD `UriEndpoint` (base of PlayerEndpoint and RecorderEndpoint): the URI and the
 * STOP/START/PAUSE state. The URI is checked at construction so a bad one fails the
 * `create` with 40107 instead of failing later in the media engine. The state is the
 * media node's: it changes with its `UriEndpointStateChanged` events.
 */
export class UriEndpoint extends MediaElement {
  constructor(init: ObjectInit, params: Params, schemes: readonly string[]) {
    super(init);
    const uri = params.uri as string;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' is not a valid URI: '${uri}'`);
    }
    const scheme = url.protocol.replace(/:$/, '');
    if (!schemes.includes(scheme)) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' scheme '${scheme}' is not supported here (use ${schemes.join(', ')})`);
    }
    // Files only under mediaServer.security.fileRoots; network URIs only towards allowed
    // destinations (names are checked when the engine resolves them).
    const refused = scheme === 'file'
      ? init.settings.fileRoots?.refuses(url)
      : url.hostname === 'localhost' ? init.settings.destinations?.refuses('127.0.0.1')
        : /^[\d.]+$|^\[/.test(url.hostname) ? init.settings.destinations?.refuses(url.hostname) : undefined;
    if (refused) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' refused: ${refused}`);
    if (scheme === 'file' && (url.host !== '' || url.pathname === '/' || url.pathname.endsWith('/'))) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' must name a file on this machine (file:///path/to/file): '${uri}'`);
    }
    super.setProperty('uri', uri);
    super.setProperty('state', 'STOP');
  }

  /**
   * A network URI given by host name is checked when it is about to be used (record;
   * a PlayerEndpoint's node checks before its first fetch): every address the name resolves to must be an allowed destination
   * (mediaServer.security.deniedDestinations; IP literals were checked at create). The
   * engine resolves the name again when it connects, so a name whose records change in
   * between (DNS rebinding) can still escape: deny by address where that matters.
   */
  protected async checkDestination(): Promise<void> {
    const policy = this.settings.destinations;
    const url = new URL(String(this.getProperty('uri')));
    if (!policy || url.protocol === 'file:') return;
    const why = await refusedHost(policy, url.hostname);
    if (why) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' refused: ${why}`);
  }

  async pause(_p: Params): Promise<void> {
    await this.mediaCall('pause', {});
  }

  async stop(_p: Params): Promise<void> {
    await this.mediaCall('stop', {});
  }

  override mediaEvent(event: EventMessage): void {
    if (event.name === 'UriEndpointStateChanged') super.setProperty('state', event.data.state);
    super.mediaEvent(event);
  }
}
