import { fileURLToPath } from 'node:url';
import { call, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Show DataChannel (Kurento tutorial "WebRTC incoming Data Channels", kurento-show-data-channel):
 * the camera and a data channel go to a WebRtcEndpoint (useDataChannels), through a
 * KmsShowData and back: text typed in the page is drawn on the video that comes back.
 * Messages as Hello World's on the WebSocket path `/showdatachannel`. Like the
 * original, the application loads the datachannelexample client module.
 */
export function showDataChannel(kurento: Kurento): Tutorial {
  registerModule('kurento-module-datachannelexample');
  const tutorial = loopbackTutorial(kurento, {
    path: '/showdatachannel',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    endpointParams: { useDataChannels: true },
    createFilter: (pipeline) => call<Kurento>(pipeline, 'create', 'KmsShowData'),
  });
  // The page script is the data-channel tutorial's (it reads the WebSocket path from the page).
  return { ...tutorial, moreDirs: [fileURLToPath(new URL('../datachannel/static/', import.meta.url))] };
}
