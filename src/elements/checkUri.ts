import { KurentoError } from '../shared/KurentoError.ts';
import type { ObjectSettings } from '../core/types.ts';

/**
 * A media URI a client gives (PlayerEndpoint, RecorderEndpoint, ChromaFilter's
 * background...), checked on the control side so a bad one fails the call with 40107
 * instead of failing later in the media plane: it parses, its scheme is one of
 * `schemes`, a file is under mediaServer.security.fileRoots and names a file on this
 * machine, and an IP-literal host is an allowed destination (host names are resolved
 * and checked where they are about to be used). `param` names the parameter in errors.
 */
export function checkUri(uri: string, schemes: readonly string[], settings: ObjectSettings, param = 'uri'): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'${param}' is not a valid URI: '${uri}'`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'${param}' scheme '${scheme}' is not supported here (use ${schemes.join(', ')})`);
  }
  const refused = scheme === 'file'
    ? settings.fileRoots?.refuses(url)
    : url.hostname === 'localhost' ? settings.destinations?.refuses('127.0.0.1')
      : /^[\d.]+$|^\[/.test(url.hostname) ? settings.destinations?.refuses(url.hostname) : undefined;
  if (refused) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'${param}' refused: ${refused}`);
  if (scheme === 'file' && (url.host !== '' || url.pathname === '/' || url.pathname.endsWith('/'))) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'${param}' must name a file on this machine (file:///path/to/file): '${uri}'`);
  }
  return url;
}
