import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import type { Client, Tutorial } from '../common/TutorialServer.ts';
import { loopbackTutorial } from '../common/loopbackTutorial.ts';

/**
 * Hello World: the browser's camera goes to a WebRtcEndpoint connected to itself and
 * comes back (Kurento tutorial "Hello World"). Messages as in the original:
 * start{sdpOffer} -> startResponse{sdpAnswer}, onIceCandidate -> iceCandidate, stop, error.
 * With `useDataChannels`, DATA is looped back too (the "datachannel" tutorial); with
 * `stats`, Fluo's getStats figures are pushed every second (the "loopback-stats" one).
 */
export function helloWorld(kurento: Kurento, opts: { useDataChannels?: boolean; stats?: boolean; staticDir?: string; path?: string } = {}): Tutorial {
  const sendStats = async (client: Client, endpoint: Kurento): Promise<void> => {
    const all = await call<Record<string, Record<string, unknown>>>(endpoint, 'getStats', 'VIDEO').catch(() => undefined);
    if (!all) return;
    const pick = (type: string) => Object.values(all).find((x) => x.type === type) ?? {};
    const inb = pick('inboundrtp');
    const out = pick('outboundrtp');
    client.send({
      id: 'stats',
      fluo: {
        packetsReceived: inb.packetsReceived ?? 0, bytesReceived: inb.bytesReceived ?? 0, jitter: inb.jitter ?? 0,
        packetsLost: inb.packetsLost ?? 0, packetsSent: out.packetsSent ?? 0, bytesSent: out.bytesSent ?? 0,
        roundTripTime: out.roundTripTime ?? 0, pliCount: inb.pliCount ?? 0, nackCount: inb.nackCount ?? 0,
        // KMS's REMB figures: what Fluo asks the browser to send, what the browser asks of
        // Fluo, and the bitrate Fluo's sending aims at (Kurento's loopback-stats page).
        rembSent: inb.remb ?? 0, rembReceived: out.remb ?? 0, targetBitrate: out.targetBitrate ?? 0,
      },
    });
  };

  return loopbackTutorial(kurento, {
    path: opts.path ?? '/helloworld',
    staticDir: opts.staticDir ?? fileURLToPath(new URL('./static/', import.meta.url)),
    ...(opts.useDataChannels && { endpointParams: { useDataChannels: true } }),
    ...(opts.stats && {
      started: (client: Client, endpoint: Kurento) => {
        const timer = setInterval(() => void sendStats(client, endpoint), 1000);
        return () => clearInterval(timer);
      },
    }),
  });
}
