import type { ObjectFactory } from '../core/OperationRouter.ts';
import { MediaPipeline } from '../core/MediaPipeline.ts';
import { PassThrough } from './PassThrough.ts';
import { HttpPostEndpoint } from './HttpPostEndpoint.ts';
import { PlayerEndpoint } from './PlayerEndpoint.ts';
import { RecorderEndpoint } from './RecorderEndpoint.ts';
import { WebRtcEndpoint } from './WebRtcEndpoint.ts';
import { RtpEndpoint } from './RtpEndpoint.ts';
import { GStreamerFilter } from './filters/GStreamerFilter.ts';
import { ImageOverlayFilter } from './filters/ImageOverlayFilter.ts';
import { FaceOverlayFilter } from './filters/FaceOverlayFilter.ts';
import { PointerDetectorFilter } from './filters/PointerDetectorFilter.ts';
import { CrowdDetectorFilter } from './filters/CrowdDetectorFilter.ts';
import { PlateDetectorFilter } from './filters/PlateDetectorFilter.ts';
import { ZBarFilter } from './filters/ZBarFilter.ts';
import { ChromaFilter } from './filters/ChromaFilter.ts';
import { KmsShowData } from './filters/datachannel/KmsShowData.ts';
import { KmsSendData } from './filters/datachannel/KmsSendData.ts';
import { KmsDetectFaces } from './filters/datachannel/KmsDetectFaces.ts';
import { KmsShowFaces } from './filters/datachannel/KmsShowFaces.ts';
import { HubPort } from './hubs/HubPort.ts';
import { DispatcherOneToMany } from './hubs/DispatcherOneToMany.ts';
import { Dispatcher } from './hubs/Dispatcher.ts';
import { Composite } from './hubs/Composite.ts';
import { AlphaBlending } from './hubs/AlphaBlending.ts';
import { Mixer } from './hubs/Mixer.ts';

/**
 * The remote classes Fluo builds, by KMD class name. A class declared in the API but
 * missing here answers NOT_IMPLEMENTED (40006) on `create`, never a silent no-op.
 */
export function builtFactories(): Map<string, ObjectFactory> {
  return new Map<string, ObjectFactory>([
    ['MediaPipeline', MediaPipeline],
    ['PassThrough', PassThrough],
    ['HttpPostEndpoint', HttpPostEndpoint],
    ['PlayerEndpoint', PlayerEndpoint],
    ['RecorderEndpoint', RecorderEndpoint],
    ['WebRtcEndpoint', WebRtcEndpoint],
    ['RtpEndpoint', RtpEndpoint],
    ['GStreamerFilter', GStreamerFilter],
    ['ImageOverlayFilter', ImageOverlayFilter],
    ['FaceOverlayFilter', FaceOverlayFilter],
    ['PointerDetectorFilter', PointerDetectorFilter],
    ['CrowdDetectorFilter', CrowdDetectorFilter],
    ['PlateDetectorFilter', PlateDetectorFilter],
    ['ZBarFilter', ZBarFilter],
    ['ChromaFilter', ChromaFilter],
    ['KmsShowData', KmsShowData],
    ['KmsSendData', KmsSendData],
    ['KmsDetectFaces', KmsDetectFaces],
    ['KmsShowFaces', KmsShowFaces],
    ['HubPort', HubPort],
    ['DispatcherOneToMany', DispatcherOneToMany],
    ['Dispatcher', Dispatcher],
    ['Composite', Composite],
    ['AlphaBlending', AlphaBlending],
    ['Mixer', Mixer],
  ]);
}
