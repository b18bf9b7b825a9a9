import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `pointerdetector`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const pointerdetector = defineModule("pointerdetector", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    PointerDetectorFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("calibrationRegion", "WindowParam"), o("windows", "PointerDetectorWindowMediaParam[]", [])],
      methods: [
        m("addWindow", [p("window", "PointerDetectorWindowMediaParam")]),
        m("clearWindows", []),
        m("trackColorFromCalibrationRegion", []),
        m("removeWindow", [p("windowId", "String")]),
      ],
      events: ["WindowIn", "WindowOut"],
    },
  },
  types: {
    WindowParam: { props: [p("topRightCornerX", "int"), p("topRightCornerY", "int"), p("width", "int"), p("height", "int")] },
    PointerDetectorWindowMediaParam: { props: [p("id", "String"), p("height", "int"), p("width", "int"), p("upperRightX", "int"), p("upperRightY", "int"), o("activeImage", "String"), o("imageTransparency", "float"), o("image", "String")] },
  },
  events: {
    WindowOut: { extends: "Media", props: [p("windowId", "String")] },
    WindowIn: { extends: "Media", props: [p("windowId", "String")] },
  },
});
