import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `platedetector`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const platedetector = defineModule("platedetector", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    PlateDetectorFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("setPlateWidthPercentage", [p("plateWidthPercentage", "float")]),
      ],
      events: ["PlateDetected"],
    },
  },
  events: {
    PlateDetected: { extends: "Media", props: [p("plate", "String")] },
  },
});
