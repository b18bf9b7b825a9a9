import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `crowddetector`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const crowddetector = defineModule("crowddetector", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    CrowdDetectorFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("rois", "RegionOfInterest[]")],
      props: [
        prop("processingWidth", "int", "", "320"),
      ],
      events: ["CrowdDetectorFluidity", "CrowdDetectorOccupancy", "CrowdDetectorDirection"],
    },
  },
  types: {
    RelativePoint: { props: [p("x", "float"), p("y", "float")] },
    RegionOfInterestConfig: { props: [o("occupancyLevelMin", "int", 10), o("occupancyLevelMed", "int", 35), o("occupancyLevelMax", "int", 65), o("occupancyNumFramesToEvent", "int", 5), o("fluidityLevelMin", "int", 10), o("fluidityLevelMed", "int", 35), o("fluidityLevelMax", "int", 65), o("fluidityNumFramesToEvent", "int", 5), o("sendOpticalFlowEvent", "boolean", false), o("opticalFlowNumFramesToEvent", "int", 3), o("opticalFlowNumFramesToReset", "int", 3), o("opticalFlowAngleOffset", "int", 0)] },
    RegionOfInterest: { props: [p("points", "RelativePoint[]"), p("regionOfInterestConfig", "RegionOfInterestConfig"), p("id", "String")] },
  },
  events: {
    CrowdDetectorFluidity: { extends: "Media", props: [p("fluidityPercentage", "float"), p("fluidityLevel", "int"), p("roiId", "String"), legacy(p("roiID", "String"))] },
    CrowdDetectorOccupancy: { extends: "Media", props: [p("occupancyPercentage", "float"), p("occupancyLevel", "int"), p("roiId", "String"), legacy(p("roiID", "String"))] },
    CrowdDetectorDirection: { extends: "Media", props: [p("directionAngle", "float"), p("roiId", "String"), legacy(p("roiID", "String"))] },
  },
});
