import { fileURLToPath } from 'node:url';
import { call, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Plate detector (Kurento tutorial "Node.js Module - Plate Detector Filter", FIWARE
 * `./services plate-detection`): the camera goes WebRtc -> PlateDetectorFilter -> WebRtc
 * and each plate the filter reads is sent to the page. Messages as in the original:
 * start{sdpOffer} -> startResponse{sdpAnswer}, onIceCandidate -> iceCandidate,
 * plateDetected{plate}, stop, error.
 */
export function plateDetector(kurento: Kurento): Tutorial {
  // As the original: `kurento.register('kurento-module-platedetector')`.
  registerModule('kurento-module-platedetector');
  return loopbackTutorial(kurento, {
    path: '/platedetector',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async createFilter(pipeline, client) {
      const filter = await call<Kurento>(pipeline, 'create', 'platedetector.PlateDetectorFilter');
      filter.on('PlateDetected', (event: { plate: string }) => {
        console.log(`License plate detected ${event.plate}`);
        client.send({ id: 'plateDetected', plate: event.plate });
      });
      return filter;
    },
  });
}
