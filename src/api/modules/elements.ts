import { defineModule, p, o, m, prop, legacy } from '../define.ts';

/** Kurento module `elements`: names, types and defaults of the KMD (7.3.0, plus 6.18 members 7.x dropped). */
export const elements = defineModule("elements", {
  version: "7.3.0",
  kurentoVersion: "^7.1.0",
  classes: {
    AlphaBlending: {
      extends: "Hub",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("setMaster", [p("source", "HubPort"), p("zOrder", "int")]),
        m("setPortProperties", [p("relativeX", "float"), p("relativeY", "float"), p("zOrder", "int"), p("relativeWidth", "float"), p("relativeHeight", "float"), p("port", "HubPort")]),
      ],
    },
    Composite: {
      extends: "Hub",
      ctor: [p("mediaPipeline", "MediaPipeline"), o("width", "int", 800), o("height", "int", 600), o("framerate", "int", 15)],
    },
    Dispatcher: {
      extends: "Hub",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("connect", [p("source", "HubPort"), p("sink", "HubPort")]),
      ],
    },
    DispatcherOneToMany: {
      extends: "Hub",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("setSource", [p("source", "HubPort")]),
        m("removeSource", []),
      ],
    },
    HttpPostEndpoint: {
      extends: "HttpEndpoint",
      ctor: [p("mediaPipeline", "MediaPipeline"), o("disconnectionTimeout", "int", 2), o("useEncodedMedia", "boolean", false)],
      events: ["EndOfStream"],
    },
    HttpEndpoint: {
      extends: "SessionEndpoint",
      abstract: true,
      methods: [
        m("getUrl", [], "String"),
      ],
    },
    Mixer: {
      extends: "Hub",
      ctor: [p("mediaPipeline", "MediaPipeline")],
      methods: [
        m("connect", [p("media", "MediaType"), p("source", "HubPort"), p("sink", "HubPort")]),
        m("disconnect", [p("media", "MediaType"), p("source", "HubPort"), p("sink", "HubPort")]),
      ],
    },
    PlayerEndpoint: {
      extends: "UriEndpoint",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("uri", "String"), o("useEncodedMedia", "boolean", false), o("networkCache", "int", 2000)],
      methods: [
        m("play", []),
      ],
      props: [
        prop("videoInfo", "VideoInfo", "r"),
        prop("elementGstreamerDot", "String", "r"),
        prop("position", "int64"),
      ],
      events: ["EndOfStream"],
    },
    RecorderEndpoint: {
      extends: "UriEndpoint",
      ctor: [p("mediaPipeline", "MediaPipeline"), p("uri", "String"), o("mediaProfile", "MediaProfileSpecType", "WEBM"), o("stopOnEndOfStream", "boolean", false)],
      methods: [
        m("record", []),
        m("stopAndWait", []),
      ],
      events: ["Recording", "Paused", "Stopped"],
    },
    RtpEndpoint: {
      extends: "BaseRtpEndpoint",
      ctor: [p("mediaPipeline", "MediaPipeline"), o("crypto", "SDES", {}), o("useIpv6", "boolean", false)],
      events: ["OnKeySoftLimit"],
    },
    WebRtcEndpoint: {
      extends: "BaseRtpEndpoint",
      ctor: [p("mediaPipeline", "MediaPipeline"), o("recvonly", "boolean", false), o("sendonly", "boolean", false), o("useDataChannels", "boolean", false), o("certificateKeyType", "CertificateKeyType", "RSA"), o("qosDscp", "DSCPValue", "NO_VALUE")],
      methods: [
        m("gatherCandidates", []),
        m("addIceCandidate", [p("candidate", "IceCandidate")]),
        m("createDataChannel", [o("label", "String", ""), o("ordered", "boolean", true), o("maxPacketLifeTime", "int", -1), o("maxRetransmits", "int", -1), o("protocol", "String", "")]),
        m("closeDataChannel", [p("channelId", "int")]),
      ],
      props: [
        prop("networkInterfaces", "String"),
        prop("iceTcp", "boolean"),
        prop("stunServerAddress", "String"),
        prop("stunServerPort", "int"),
        prop("turnUrl", "String"),
        prop("externalIPv4", "String"),
        prop("externalIPv6", "String"),
        prop("ICECandidatePairs", "IceCandidatePair[]", "r"),
        prop("IceConnectionState", "IceConnection[]", "r"),
        prop("DtlsConnectionState", "DtlsConnection[]", "r"),
        prop("externalAddress", "String", "L"),
      ],
      events: ["IceCandidateFound", "IceGatheringDone", "IceComponentStateChanged", "DtlsConnectionStateChange", "DataChannelOpened", "DataChannelClosed", "NewCandidatePairSelected", "OnIceCandidate", "OnIceGatheringDone", "OnIceComponentStateChanged", "IceComponentStateChange", "OnDataChannelOpened", "DataChannelOpen", "OnDataChannelClosed", "DataChannelClose"],
    },
  },
  enums: {
    MediaProfileSpecType: ["WEBM", "MKV", "MP4", "WEBM_VIDEO_ONLY", "WEBM_AUDIO_ONLY", "MKV_VIDEO_ONLY", "MKV_AUDIO_ONLY", "MP4_VIDEO_ONLY", "MP4_AUDIO_ONLY", "JPEG_VIDEO_ONLY", "KURENTO_SPLIT_RECORDER", "FLV"],
    GapsFixMethod: ["NONE", "GENPTS", "FILL_IF_TRANSCODING"],
    CryptoSuite: ["AES_128_CM_HMAC_SHA1_32", "AES_128_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_80"],
    IceComponentState: ["DISCONNECTED", "GATHERING", "CONNECTING", "CONNECTED", "READY", "FAILED"],
    DtlsConnectionState: ["NEW", "CLOSED", "FAILED", "CONNECTING", "CONNECTED"],
    CertificateKeyType: ["RSA", "ECDSA"],
    DSCPValue: ["NO_DSCP", "NO_VALUE", "AUDIO_VERYLOW", "AUDIO_LOW", "AUDIO_MEDIUM", "AUDIO_HIGH", "VIDEO_VERYLOW", "VIDEO_LOW", "VIDEO_MEDIUM", "VIDEO_MEDIUM_THROUGHPUT", "VIDEO_HIGH", "VIDEO_HIGH_THROUGHPUT", "DATA_VERYLOW", "DATA_LOW", "DATA_MEDIUM", "DATA_HIGH", "CHROME_HIGH", "CHROME_MEDIUM", "CHROME_LOW", "CHROME_VERYLOW", "CS0", "CS1", "CS2", "CS3", "CS4", "CS5", "CS6", "CS7", "AF11", "AF12", "AF13", "AF21", "AF22", "AF23", "AF31", "AF32", "AF33", "AF41", "AF42", "AF43", "EF", "VOICEADMIT", "LE"],
  },
  types: {
    VideoInfo: { props: [p("isSeekable", "boolean"), p("seekableInit", "int64"), p("seekableEnd", "int64"), p("duration", "int64")] },
    SDES: { props: [o("key", "String"), o("keyBase64", "String"), o("crypto", "CryptoSuite")] },
    IceCandidate: { props: [p("candidate", "String"), p("sdpMid", "String"), p("sdpMLineIndex", "int")] },
    IceCandidatePair: { props: [p("streamId", "String"), p("componentId", "int"), p("localCandidate", "String"), p("remoteCandidate", "String"), legacy(p("streamID", "String")), legacy(p("componentID", "int"))] },
    IceConnection: { props: [p("streamId", "String"), p("componentId", "int"), p("state", "IceComponentState")] },
    DtlsConnection: { props: [p("streamId", "String"), p("componentId", "String"), p("connectionId", "String"), p("state", "DtlsConnectionState")] },
  },
  events: {
    EndOfStream: { extends: "Media", props: [] },
    Recording: { extends: "Media", props: [] },
    Paused: { extends: "Media", props: [] },
    Stopped: { extends: "Media", props: [] },
    OnKeySoftLimit: { extends: "Media", props: [p("mediaType", "MediaType")] },
    IceCandidateFound: { extends: "Media", props: [p("candidate", "IceCandidate")] },
    IceGatheringDone: { extends: "Media", props: [] },
    IceComponentStateChanged: { extends: "Media", props: [p("streamId", "int"), p("componentId", "int"), p("state", "IceComponentState")] },
    DtlsConnectionStateChange: { extends: "Media", props: [p("streamId", "String"), p("componentId", "String"), p("connectionId", "String"), p("state", "DtlsConnectionState")] },
    DataChannelOpened: { extends: "Media", props: [p("channelId", "int")] },
    DataChannelClosed: { extends: "Media", props: [p("channelId", "int")] },
    NewCandidatePairSelected: { extends: "Media", props: [p("candidatePair", "IceCandidatePair")] },
    OnIceCandidate: { extends: "Media", props: [p("candidate", "IceCandidate")], aliasOf: "IceCandidateFound" },
    OnIceGatheringDone: { extends: "Media", props: [], aliasOf: "IceGatheringDone" },
    OnIceComponentStateChanged: { extends: "Media", props: [p("streamId", "int"), p("componentId", "int"), p("state", "IceComponentState")], aliasOf: "IceComponentStateChanged" },
    IceComponentStateChange: { extends: "Media", props: [p("streamId", "int"), p("componentId", "int"), p("state", "IceComponentState")], aliasOf: "IceComponentStateChanged" },
    OnDataChannelOpened: { extends: "Media", props: [p("channelId", "int")], aliasOf: "DataChannelOpened" },
    DataChannelOpen: { extends: "Media", props: [p("channelId", "int")], aliasOf: "DataChannelOpened" },
    OnDataChannelClosed: { extends: "Media", props: [p("channelId", "int")], aliasOf: "DataChannelClosed" },
    DataChannelClose: { extends: "Media", props: [p("channelId", "int")], aliasOf: "DataChannelClosed" },
  },
});
