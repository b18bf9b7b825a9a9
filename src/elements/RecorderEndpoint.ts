import { KurentoError } from '../shared/KurentoError.ts';
import { UriEndpoint } from './UriEndpoint.ts';
import type { ObjectInit, Params } from '../core/types.ts';

/**
 * KMD `RecorderEndpoint`: records what its sources send into a file (`file://`) or an
 * HTTP(S) upload, in the container and codecs of its `mediaProfile`. The media node
 * (RecorderEndpointNode) muxes in the media engine; this class holds the Kurento view.
 */
export class RecorderEndpoint extends UriEndpoint {
  constructor(init: ObjectInit, params: Params) {
    super(init, params, ['file', 'http', 'https']);
    const mediaProfile = String(params.mediaProfile ?? 'WEBM');
    if (mediaProfile === 'KURENTO_SPLIT_RECORDER') {
      // KMS's own split format (one file per media type plus an index) has no player
      // but Kurento's own tools; MKV keeps both tracks in one standard, seekable file.
      throw new KurentoError('NOT_IMPLEMENTED', 'mediaProfile KURENTO_SPLIT_RECORDER is not supported by Fluo: it is KMS\'s own format (one file per media type plus an index) that only Kurento\'s tools read; record MKV instead, which keeps both tracks in one standard, seekable file (or WEBM/MP4)');
    }
    this.createMedia('RecorderEndpoint', { uri: String(params.uri), mediaProfile, stopOnEndOfStream: params.stopOnEndOfStream === true });
  }

  async record(_p: Params): Promise<void> {
    await this.checkDestination();
    await this.mediaCall('record', {});
  }

  async stopAndWait(_p: Params): Promise<void> {
    await this.mediaCall('stopAndWait', {});
  }
}
