import { fileURLToPath } from 'node:url';
import { call, complexType, registerModule, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Chroma (Kurento module tutorial "Chroma Filter", Node version): the camera goes
 * through a ChromaFilter and comes back. The filter measures the colour inside the
 * 30x30 square at (5, 5) during the first second, then shows the background image
 * where that colour is. Messages as in the original (start, stop, onIceCandidate ->
 * startResponse, iceCandidate, error), WebSocket `/chroma`.
 *
 * As in the original, the media server fetches the background from this application
 * server (`<as_uri>img/...`, HTTPS with its self-signed certificate);
 * FLUO_CHROMA_BACKGROUND names another image URI (a media server on another host).
 */
export function chroma(kurento: Kurento): Tutorial {
  // Kurento's tutorial: kurento.register('kurento-module-chroma').
  registerModule('kurento-module-chroma');
  let background = process.env.FLUO_CHROMA_BACKGROUND;
  const tutorial = loopbackTutorial(kurento, {
    path: '/chroma',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    createFilter: async (pipeline) => {
      const window = complexType('chroma.WindowParam', { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 });
      const filter = await call<Kurento>(pipeline, 'create', 'chroma.ChromaFilter', { window });
      await call(filter, 'setBackground', background);
      return filter;
    },
  });
  return {
    ...tutorial,
    // The page script is Hello World's (it reads the WebSocket path from the page).
    moreDirs: [fileURLToPath(new URL('../hello-world/static/', import.meta.url))],
    listening(port) {
      background ??= `https://localhost:${port}/img/background.png`;
    },
  };
}
