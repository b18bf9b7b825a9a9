import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `filters`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const filters = defineModule("filters", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    FaceOverlayFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("unsetOverlayedImage", []),
        m("setOverlayedImage", [p("uri", "String"), p("offsetXPercent", "float"), p("offsetYPercent", "float"), p("widthPercent", "float"), p("heightPercent", "float")]),
      ],
    },
    GStreamerFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("command", "String"), o("filterType", "FilterType", "AUTODETECT")],
      methods: [
        m("setElementProperty", [p("propertyName", "String"), p("propertyValue", "String")]),
      ],
      props: [
        prop("command", "String", "r"),
      ],
    },
    ImageOverlayFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("removeImage", [p("id", "String")]),
        m("addImage", [p("id", "String"), p("uri", "String"), p("offsetXPercent", "float"), p("offsetYPercent", "float"), p("widthPercent", "float"), p("heightPercent", "float"), p("keepAspectRatio", "boolean"), p("center", "boolean")]),
      ],
    },
    OpenCVFilter: {
      extends: "Filter",
      abstract: true,
    },
    ZBarFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      events: ["CodeFound"],
    },
  },
  events: {
    CodeFound: { extends: "Media", props: [p("codeType", "String"), p("value", "String")] },
  },
});
