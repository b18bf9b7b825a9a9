import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `chroma`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const chroma = defineModule("chroma", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    ChromaFilter: {
      extends: "Filter",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("window", "WindowParam"), o("backgroundImage", "String", "")],
      methods: [
        m("setBackground", [p("uri", "String")]),
        m("unsetBackground", []),
      ],
    },
  },
  types: {
    WindowParam: { props: [p("topRightCornerX", "int"), p("topRightCornerY", "int"), p("width", "int"), p("height", "int")] },
  },
});
