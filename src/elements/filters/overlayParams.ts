import { KurentoError } from '../../shared/KurentoError.ts';
import type { Params } from '../../core/types.ts';
import type { OverlayFilterOptions, OverlayPlacement } from '../../shared/workerProtocol.ts';
import type { ObjectSettings } from '../../core/types.ts';

/** The security settings an overlay filter's media node fetches images under (as PlayerEndpoint's). */
export function overlayOptions(settings: ObjectSettings): OverlayFilterOptions {
  return {
    destinations: settings.destinations?.lists ?? { deny: [], allow: [] },
    fileRoots: settings.fileRoots?.list ?? ['/'],
    verifyCertificates: settings.verifyImageCertificates ?? false,
  };
}

/**
 * The four placement numbers of addImage / setOverlayedImage: finite, sizes not
 * negative (the KMD: "negative values are forbidden"). A URI is checked by the node
 * that fetches it, in one place for both filters.
 */
export function placementOf(who: string, p: Params): OverlayPlacement {
  const out = {} as Record<keyof OverlayPlacement, number>;
  for (const name of ['offsetXPercent', 'offsetYPercent', 'widthPercent', 'heightPercent'] as const) {
    const v = Number(p[name]);
    if (!Number.isFinite(v)) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${who}: '${name}' must be a number, not ${JSON.stringify(p[name])}`);
    if (v < 0 && (name === 'widthPercent' || name === 'heightPercent')) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${who}: '${name}' must not be negative (${v})`);
    out[name] = v;
  }
  return out;
}

export function uriOf(who: string, p: Params): string {
  if (typeof p.uri !== 'string' || p.uri === '') throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${who}: 'uri' must be a non-empty string`);
  return p.uri;
}
