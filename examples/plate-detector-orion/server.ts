import { fileURLToPath } from 'node:url';
import { call, registerModule, type Kurento } from '../common/kurento.ts';
import type { Client, Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';
import { ContextBridge } from '../../src/fiware/ContextBridge.ts';

/**
 * Plate detector with Orion (the FIWARE Media-Streams tutorial's plate detector, seeds
 * 001/002): the camera goes WebRtc -> PlateDetectorFilter -> WebRtc, the camera is
 * registered as a Camera entity when the page starts, each plate read becomes a
 * MediaEvent entity in the context broker (src/fiware/ContextBridge.ts), and the page
 * shows the entities read back from the broker. The broker is FIWARE_BROKER_URL
 * (default http://localhost:1026: a real Orion, or the project's test broker that
 * `./services plate-detection-orion` starts), tenant FIWARE_SERVICE (default kurento).
 */
export function plateDetectorOrion(kurento: Kurento): Tutorial {
  registerModule('kurento-module-platedetector');
  const brokerUrl = process.env.FIWARE_BROKER_URL ?? 'http://localhost:1026';
  const service = process.env.FIWARE_SERVICE ?? 'kurento';
  const bridge = new ContextBridge({ brokerUrl, service });
  let cameras = 0;

  /** What the broker holds for this camera: the Camera entity and its MediaEvents. */
  const readBack = async (client: Client, camera: string): Promise<void> => {
    await bridge.flush();
    const get = async (path: string): Promise<unknown> => {
      const res = await fetch(`${brokerUrl}${path}`, { headers: { 'fiware-service': service } });
      return res.ok ? res.json() : undefined;
    };
    const cam = await get(`/v2/entities/${camera}?type=Camera&options=keyValues`).catch(() => undefined);
    const events = await get(`/v2/entities?type=MediaEvent&q=deviceSource==${camera}&limit=100&options=keyValues`).catch(() => undefined);
    client.send({ id: 'entities', brokerUrl, camera: cam ?? null, events: Array.isArray(events) ? events : [] });
  };

  return loopbackTutorial(kurento, {
    path: '/platedetector',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async createFilter(pipeline, client) {
      const camera = `camera-${++cameras}`;
      bridge.registerCamera({ id: camera, name: `Browser camera ${cameras}`, usage: 'ANPR', streamName: camera });
      void readBack(client, camera);
      const filter = await call<Kurento>(pipeline, 'create', 'platedetector.PlateDetectorFilter');
      bridge.attach(filter, { camera, events: ['PlateDetected'] });
      filter.on('PlateDetected', (event: { plate: string }) => {
        console.log(`License plate detected ${event.plate}`);
        client.send({ id: 'plateDetected', plate: event.plate });
        void readBack(client, camera);
      });
      return filter;
    },
  });
}
