import { call, type Kurento } from './kurento.ts';
import type { Client } from './TutorialServer.ts';

/**
 * A PlayerEndpoint already connected to the browser's WebRtcEndpoint, as the recorder
 * and player tutorials use it: `play()` once the browser is connected (Kurento's
 * tutorials play at once, which spends the first second of a short video before the
 * browser can show it), then `onPlaying`; `playEnd` on EndOfStream or a player Error
 * (the Error also told to the page in words), after which `release` frees the session.
 * `released` says the session has ended, so late events do nothing.
 */
export function playWhenConnected(client: Client, player: Kurento, webRtc: Kurento, session: {
  released: () => boolean;
  release: () => Promise<void>;
  onPlaying?: () => Promise<void>;
}): void {
  const end = (): void => {
    if (session.released()) return;
    client.send({ id: 'playEnd' });
    void session.release();
  };
  player.on('EndOfStream', end);
  player.on('Error', (event: { description?: string }) => {
    if (session.released()) return;
    client.error(`Player error: ${event.description ?? 'unknown'}`);
    end();
  });
  let played = false;
  webRtc.on('MediaStateChanged', (event: { newState: string }) => {
    if (event.newState !== 'CONNECTED' || played || session.released()) return;
    played = true;
    call(player, 'play')
      .then(() => (session.released() ? undefined : session.onPlaying?.()))
      .catch((err: Error) => {
        if (session.released()) return;
        client.error(`Could not play: ${err.message}`);
        end();
      });
  });
}
