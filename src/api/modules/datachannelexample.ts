import { defineModule, p } from '../define.ts';

/**
 * Kurento module `datachannelexample` (kms-datachannelexample 7.3.0, its KMD as
 * published with kurento-module-datachannelexample): four elements with no methods,
 * properties or events of their own, all their behaviour in the media. The seeds'
 * Metadata, Send DataChannel and Show DataChannel tutorials use them (004 L4887-6554).
 */
export const datachannelexample = defineModule("datachannelexample", {
  version: "7.3.0",
  kurentoVersion: "^7.0.0",
  classes: {
    KmsDetectFaces: { extends: "Filter", ctor: [p("mediaPipeline", "MediaPipeline")] },
    KmsSendData: { extends: "MediaElement", ctor: [p("mediaPipeline", "MediaPipeline")] },
    KmsShowData: { extends: "MediaElement", ctor: [p("mediaPipeline", "MediaPipeline")] },
    KmsShowFaces: { extends: "Filter", ctor: [p("mediaPipeline", "MediaPipeline")] },
  },
});
