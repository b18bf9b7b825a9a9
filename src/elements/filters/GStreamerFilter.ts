import { Filter } from './Filter.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import { checkCommand, detectFilterType, nameFirstElement, rewriteVideoflip, unsafeFactoryPattern, unsafeProperty, videoDirectionOf } from './gstCommand.ts';

/**
 * KMD `GStreamerFilter`: a gst-launch fragment as a filter (media node:
 * GStreamerFilterNode). `filterType` says what it processes (AUDIO, VIDEO, or
 * AUTODETECT from its first element); the other media kind passes through. Unsafe
 * elements are refused unless GStreamerFilter.conf.ini allows them; `videoflip
 * method=...`, which Debian's GStreamer ignores, is given as `video-direction`.
 */
export class GStreamerFilter extends Filter {
  readonly #flip: boolean;
  readonly #allowUnsafe: boolean;

  constructor(init: ObjectInit, params: Params) {
    super(init);
    const command = String(params.command ?? '');
    const conf = init.settings.modules.GStreamerFilter ?? {};
    const allowUnsafe = conf.allowUnsafeElements === 'true';
    this.#allowUnsafe = allowUnsafe;
    checkCommand(command, allowUnsafe);
    const type = String(params.filterType ?? 'AUTODETECT');
    const media = type === 'AUDIO' || type === 'VIDEO' ? type : detectFilterType(command);
    const named = nameFirstElement(rewriteVideoflip(command));
    this.#flip = /^\s*videoflip\b/.test(named.command);
    this.setProperty('command', command);
    // The engine checks the parsed bin too: whatever this reading of the command missed.
    this.createMedia('GStreamerFilter', { command: named.command, element: named.element, media, ...(allowUnsafe ? {} : { refuseFactories: unsafeFactoryPattern() }) });
  }

  async setElementProperty(p: Params): Promise<void> {
    let name = String(p.propertyName);
    let value = String(p.propertyValue);
    if (!this.#allowUnsafe && unsafeProperty(name)) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR',
        `GStreamerFilter: ${name} may name a file, device or URL, which this server does not allow in filters (GStreamerFilter.conf.ini allowUnsafeElements)`);
    }
    if (this.#flip && name === 'method') {
      const n = videoDirectionOf(value);
      if (n !== undefined) {
        name = 'video-direction';
        value = String(n);
      }
    }
    await this.mediaCall('setElementProperty', { name, value });
  }
}
