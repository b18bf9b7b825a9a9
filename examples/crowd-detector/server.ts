import { fileURLToPath } from 'node:url';
import { call, complexType, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

interface RoiEvent { roiId?: string; roiID?: string }

/**
 * Crowd Detector (Kurento's module tutorial "Crowd Detector Filter"): the camera goes
 * through a CrowdDetectorFilter and back. One ROI, the upper-left quarter of the picture,
 * `roi1` as in the JavaScript tutorial, with the tutorial's levels (10/35/65, 5 frames)
 * and direction events on (the tutorial's Java code sets `sendOpticalFlowEvent` false,
 * but its page shows direction events: on, so they can be seen). Messages to the page as
 * the Java tutorial sends them: `occupancyEvent{roiId, level, percentage}`,
 * `fluidityEvent{roiId, level, percentage}`, `directionEvent{roiId, angle}`.
 */
export function crowdDetector(kurento: Kurento): Tutorial {
  registerModule('kurento-module-crowddetector');
  const point = (x: number, y: number): Kurento => complexType('crowddetector.RelativePoint', { x, y });
  const roi = (): Kurento => complexType('crowddetector.RegionOfInterest', {
    id: 'roi1',
    points: [point(0, 0), point(0.5, 0), point(0.5, 0.5), point(0, 0.5)],
    regionOfInterestConfig: complexType('crowddetector.RegionOfInterestConfig', {
      occupancyLevelMin: 10, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5,
      fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5,
      sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0,
    }),
  });
  // Kurento's tutorials read `roiID`; KMD 6.18 names it `roiId`: either will do.
  const id = (e: RoiEvent): string | undefined => e.roiId ?? e.roiID;
  return loopbackTutorial(kurento, {
    path: '/crowddetector',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async createFilter(pipeline, client) {
      const filter = await call<Kurento>(pipeline, 'create', 'crowddetector.CrowdDetectorFilter', { rois: [roi()] });
      filter.on('CrowdDetectorOccupancy', (e: RoiEvent & { occupancyLevel: number; occupancyPercentage: number }) =>
        client.send({ id: 'occupancyEvent', roiId: id(e), level: e.occupancyLevel, percentage: e.occupancyPercentage }));
      filter.on('CrowdDetectorFluidity', (e: RoiEvent & { fluidityLevel: number; fluidityPercentage: number }) =>
        client.send({ id: 'fluidityEvent', roiId: id(e), level: e.fluidityLevel, percentage: e.fluidityPercentage }));
      filter.on('CrowdDetectorDirection', (e: RoiEvent & { directionAngle: number }) =>
        client.send({ id: 'directionEvent', roiId: id(e), angle: e.directionAngle }));
      return filter;
    },
  });
}
