import { fileURLToPath } from 'node:url';
import { call, complexType, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Pointer Detector (Kurento's module tutorial "Pointer Detector Filter"): the camera goes
 * through a PointerDetectorFilter and back. The calibration square is (5, 5, 30, 30) and
 * the windows are the tutorial's `window0` (500, 150) and `window1` (500, 250), 50x50.
 * Beyond Hello World's messages: `calibrate` from the page (the server calls
 * trackColorFromCalibrationRegion), and `windowIn{roiId}` / `windowOut{roiId}` to it, as
 * the Java tutorial names them (the Node one leaves its framing unshown).
 */
export function pointerDetector(kurento: Kurento): Tutorial {
  registerModule('kurento-module-pointerdetector');
  const WindowParam = (v: Record<string, number>): Kurento => complexType('pointerdetector.WindowParam', v);
  const WindowMediaParam = (v: Record<string, unknown>): Kurento => complexType('pointerdetector.PointerDetectorWindowMediaParam', v);
  return loopbackTutorial(kurento, {
    path: '/pointerdetector',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async createFilter(pipeline, client) {
      const calibrationRegion = WindowParam({ topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 });
      const filter = await call<Kurento>(pipeline, 'create', 'pointerdetector.PointerDetectorFilter', { calibrationRegion });
      filter.on('WindowIn', (e: { windowId: string }) => client.send({ id: 'windowIn', roiId: e.windowId }));
      filter.on('WindowOut', (e: { windowId: string }) => client.send({ id: 'windowOut', roiId: e.windowId }));
      await call(filter, 'addWindow', WindowMediaParam({ id: 'window0', height: 50, width: 50, upperRightX: 500, upperRightY: 150 }));
      await call(filter, 'addWindow', WindowMediaParam({ id: 'window1', height: 50, width: 50, upperRightX: 500, upperRightY: 250 }));
      return filter;
    },
    async onMessage(client, message, session) {
      if (message.id !== 'calibrate') return false;
      if (!session) client.error('No session: send start first');
      else await call(session.filter, 'trackColorFromCalibrationRegion');
      return true;
    },
  });
}
