import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import type { Wire } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { parseWindowParam } from '../../media/filters/vision/PointerTracker.ts';
import { parseWindow, PointerWindows } from '../../media/filters/vision/PointerWindows.ts';
import { overlayOptions } from './overlayParams.ts';

/**
 * KMD `PointerDetectorFilter` (module pointerdetector; media node:
 * PointerDetectorFilterNode). The calibration region and the windows are checked here,
 * with the same pure checks the media node runs, so a malformed one refuses `create`
 * or `addWindow` with its reason instead of failing later in the worker; the worker's
 * own refusals (a window id that already exists) come back as the call's error.
 */
export class PointerDetectorFilter extends Filter {
  constructor(init: ObjectInit, params: Params) {
    super(init);
    const calibrationRegion = params.calibrationRegion;
    parseWindowParam(calibrationRegion);
    const windows = params.windows ?? [];
    if (!Array.isArray(windows)) throw new KurentoError('MARSHALL_ERROR', `'windows' parameter should be a PointerDetectorWindowMediaParam[]`);
    // Also refuses two windows with one id.
    const check = new PointerWindows();
    for (const w of windows) check.add(w);
    this.createMedia('PointerDetectorFilter', { ...overlayOptions(init.settings), calibrationRegion: calibrationRegion as Wire, windows: windows as Wire[] });
  }

  async addWindow(p: Params): Promise<void> {
    parseWindow(p.window);
    await this.mediaCall('addWindow', { window: p.window as Wire });
  }

  async removeWindow(p: Params): Promise<void> {
    if (typeof p.windowId !== 'string') throw new KurentoError('MARSHALL_ERROR', `'windowId' parameter should be a String`);
    await this.mediaCall('removeWindow', { windowId: p.windowId });
  }

  async clearWindows(): Promise<void> {
    await this.mediaCall('clearWindows', {});
  }

  /** Kurento docs (Pointer Detector tutorial): called once the pointer sits in the calibration square. */
  async trackColorFromCalibrationRegion(): Promise<void> {
    await this.mediaCall('trackColorFromCalibrationRegion', {});
  }
}
