import { fileURLToPath } from 'node:url';
import { call, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Metadata (Kurento tutorial "WebRTC with metadata", kurento-metadata-example): the
 * camera goes through KmsDetectFaces, which finds the faces, and KmsShowFaces, which
 * outlines them, and comes back: WebRtcEndpoint -> KmsDetectFaces -> KmsShowFaces -> the
 * same WebRtcEndpoint. Messages as Hello World's on the WebSocket path `/metadata`.
 */
export function metadata(kurento: Kurento): Tutorial {
  registerModule('kurento-module-datachannelexample');
  const tutorial = loopbackTutorial(kurento, {
    path: '/metadata',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    createChain: async (pipeline) => {
      const detect = await call<Kurento>(pipeline, 'create', 'KmsDetectFaces');
      const show = await call<Kurento>(pipeline, 'create', 'KmsShowFaces');
      await call(detect, 'connect', show);
      return { input: detect, output: show };
    },
  });
  // The page script is Hello World's (it reads the WebSocket path from the page).
  return { ...tutorial, moreDirs: [fileURLToPath(new URL('../hello-world/static/', import.meta.url))] };
}
