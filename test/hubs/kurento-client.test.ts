/**
 * The hubs through the official kurento-client in its promise form, as Node applications
 * written with `await` use it: `createHubPort()`, and `setSource`, `setMaster`,
 * `setPortProperties`, `connect` given awaited objects (which the client may send whole).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo } from '../helpers/fluo.ts';
import { openClient, type Loose } from '../helpers/kurentoClient.ts';

test('kurento-client (await form): hub ports, setSource, setMaster, setPortProperties, Dispatcher and Mixer connect', async () => {
  const fluo = await startFluo();
  let client: Loose;
  try {
    client = await openClient(fluo.url);
    const pipeline = await client.create('MediaPipeline');
    const d = await pipeline.create('DispatcherOneToMany');
    const [p1, p2] = [await d.createHubPort(), await d.createHubPort()];
    await d.setSource(p1);
    await d.removeSource();
    const a = await pipeline.create('AlphaBlending');
    const [m, o] = [await a.createHubPort(), await a.createHubPort()];
    await a.setMaster(m, 1);
    await a.setPortProperties(0.5, 0.5, 2, 0.25, 0.25, o);
    const x = await pipeline.create('Dispatcher');
    const [s, k] = [await x.createHubPort(), await x.createHubPort()];
    await x.connect(s, k);
    const mixer = await pipeline.create('Mixer');
    const [ms, mk] = [await mixer.createHubPort(), await mixer.createHubPort()];
    await mixer.connect('AUDIO', ms, mk);
    await mixer.disconnect('AUDIO', ms, mk);
    // A port of another hub: refused in words (kurento-client 7.3 on Node 20 gives a failed
    // call's error to its callback only, its promise resolving undefined).
    const failure = (obj: Loose, method: string, ...args: unknown[]): Promise<Error | null> =>
      new Promise((resolve) => obj[method](...args, (err: Error | null) => resolve(err)));
    assert.match(String((await failure(d, 'setSource', s))?.message), /belongs to another hub/);
    const composite = await pipeline.create('Composite');
    const cp = await composite.createHubPort();
    const ep = await pipeline.create('WebRtcEndpoint');
    await ep.connect(cp);
    await cp.connect(ep);
    await composite.release();
    assert.match(String((await failure(cp, 'getName'))?.message), /not found/);
    await pipeline.release();
    void p2;
  } finally {
    client?.close();
    await new Promise((r) => setTimeout(r, 50));
    await fluo.stop();
  }
});
