import { fileURLToPath } from 'node:url';
import { connectKurento, type Kurento } from './common/kurento.ts';
import { TutorialServer, type Tutorial } from './common/TutorialServer.ts';
import { helloWorld } from './hello-world/server.ts';
import { one2many } from './one2many-call/server.ts';
import { one2manySwitch } from './one2many-switch/server.ts';
import { one2one } from './one2one-call/server.ts';
import { groupCall } from './group-call/server.ts';
import { groupCallMcu } from './group-call-mcu/server.ts';
import { recorder } from './recorder/server.ts';
import { rtpReceiver } from './rtp-receiver/server.ts';
import { player } from './player/server.ts';
import { magicMirror } from './magic-mirror/server.ts';
import { pointerDetector } from './pointer-detector/server.ts';
import { crowdDetector } from './crowd-detector/server.ts';
import { plateDetector } from './plate-detector/server.ts';
import { plateDetectorOrion } from './plate-detector-orion/server.ts';
import { chroma } from './chroma/server.ts';
import { helloWorldTyped } from './hello-world-typed/server.ts';
import { showDataChannel } from './show-data-channel/server.ts';
import { sendDataChannel } from './send-data-channel/server.ts';
import { metadata } from './metadata/server.ts';

/** Every tutorial by its name (the names of Kurento's tutorial folders). */
export const TUTORIALS: Record<string, (kurento: Kurento, wsUri: string) => Tutorial> = {
  'hello-world': (k) => helloWorld(k),
  'one2many-call': (k) => one2many(k),
  'one2many-switch': (k) => one2manySwitch(k),
  'one2one-call': (k) => one2one(k),
  'group-call': (k) => groupCall(k),
  'group-call-mcu': (k) => groupCallMcu(k),
  'loopback-stats': (k) => helloWorld(k, { stats: true, path: '/stats', staticDir: fileURLToPath(new URL('./loopback-stats/static/', import.meta.url)) }),
  datachannel: (k) => helloWorld(k, { useDataChannels: true, path: '/datachannel', staticDir: fileURLToPath(new URL('./datachannel/static/', import.meta.url)) }),
  recorder: (k) => recorder(k),
  'rtp-receiver': (k) => rtpReceiver(k),
  player: (k) => player(k),
  'magic-mirror': (k) => magicMirror(k),
  'pointer-detector': (k) => pointerDetector(k),
  'crowd-detector': (k) => crowdDetector(k),
  // The FIWARE guide's name (`./services plate-detection`); the folder is Kurento's.
  'plate-detection': (k) => plateDetector(k),
  // The same with the FIWARE context broker (FIWARE_BROKER_URL): plates become MediaEvent entities.
  'plate-detection-orion': (k) => plateDetectorOrion(k),
  chroma: (k) => chroma(k),
  // The datachannelexample module's three (Kurento's folders: kurento-show-data-channel, ...).
  'show-data-channel': (k) => showDataChannel(k),
  'send-data-channel': (k) => sendDataChannel(k),
  metadata: (k) => metadata(k),
  // Hello World on the typed client (packages/fluo-client) instead of kurento-client.
  'hello-world-typed': (_k, wsUri) => helloWorldTyped(wsUri),
};

export interface RunningTutorial {
  readonly port: number;
  readonly kurento: Kurento;
  stop(): Promise<void>;
}

/** Starts one tutorial's application server against a running Kurento-protocol server. */
export async function startTutorial(name: string, wsUri: string, port: number, host = '0.0.0.0'): Promise<RunningTutorial> {
  const make = TUTORIALS[name];
  if (!make) throw new Error(`unknown tutorial '${name}' (one of: ${Object.keys(TUTORIALS).join(', ')})`);
  const kurento = await connectKurento(wsUri);
  const server = new TutorialServer(make(kurento, wsUri));
  const bound = await server.listen(port, host);
  return {
    port: bound,
    kurento,
    stop: async () => {
      await server.close();
      kurento.close();
    },
  };
}
