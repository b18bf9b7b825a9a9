import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import type { Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';
import { hatPng } from './hat.ts';

/**
 * Magic Mirror (Kurento tutorial "WebRTC Magic Mirror"): Hello World with a
 * FaceOverlayFilter on the way back, which puts a hat over every face the camera
 * shows: WebRtcEndpoint -> FaceOverlayFilter -> the same WebRtcEndpoint, messages as
 * Hello World's (start, stop, onIceCandidate; startResponse, iceCandidate, error) on
 * the WebSocket path `/magicmirror`. As in the original, the media server downloads the
 * hat from this application server (`/img/hat.png`, with the original's placement
 * -0.35, -1.2, 1.6, 1.6); APP_SERVER_URL names this server as the media server reaches
 * it (default https://127.0.0.1:<port>, right when both run on one machine).
 */
export function magicMirror(kurento: Kurento, appServerUrl = process.env.APP_SERVER_URL): Tutorial {
  const assets = mkdtempSync(join(tmpdir(), 'fluo-magic-mirror-'));
  mkdirSync(join(assets, 'img'));
  writeFileSync(join(assets, 'img', 'hat.png'), hatPng());
  let base = appServerUrl?.replace(/\/+$/, '');
  const tutorial = loopbackTutorial(kurento, {
    path: '/magicmirror',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    createFilter: async (pipeline) => {
      const filter = await call<Kurento>(pipeline, 'create', 'FaceOverlayFilter');
      await call(filter, 'setOverlayedImage', `${base}/img/hat.png`, -0.35, -1.2, 1.6, 1.6);
      return filter;
    },
  });
  return {
    ...tutorial,
    // The page script is Hello World's (it reads the WebSocket path from the page).
    moreDirs: [assets, fileURLToPath(new URL('../hello-world/static/', import.meta.url))],
    listening: (port) => {
      base ??= `https://127.0.0.1:${port}`;
    },
    close: () => rmSync(assets, { recursive: true, force: true }),
  };
}
