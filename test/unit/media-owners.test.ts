/**
 * Objects other than MediaElements own media nodes (KMD: a Hub is a MediaObject with
 * media), a HubPort's parent is its Hub, and media events reach their object by id,
 * whatever its depth in the object tree. The hubs themselves are another issue: here a
 * hub and a port of the smallest kind (PassThrough nodes) go through the real router,
 * the real worker pool and a real media worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiRegistry } from '../../src/api/ApiRegistry.ts';
import { Marshaller } from '../../src/api/Marshaller.ts';
import { ALL_MODULES } from '../../src/api/modules/index.ts';
import { OperationRouter, type ObjectFactory } from '../../src/core/OperationRouter.ts';
import { MediaObject } from '../../src/core/MediaObject.ts';
import { MediaElement } from '../../src/core/MediaElement.ts';
import { MediaPipeline } from '../../src/core/MediaPipeline.ts';
import type { ObjectInit } from '../../src/core/types.ts';
import { MediaWorkerPool } from '../../src/media/worker/MediaWorkerPool.ts';
import { PassThrough } from '../../src/elements/PassThrough.ts';

/** A Hub reduced to what this test needs: a media node of its own. */
class NodeOwningHub extends MediaObject {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('PassThrough', {});
  }
}

/** A HubPort reduced to its media node, with a way to make the node fail. */
class PortElement extends MediaElement {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('PassThrough', {});
  }

  /** An operation a PassThrough node does not answer: its failure comes back as an Error event. */
  askForAnOffer(): void {
    this.mediaPost('processOffer', { offer: 'v=0' });
  }
}

test('a hub owns a media node, its ports are its children, and events are routed by object id', async () => {
  const api = new ApiRegistry(ALL_MODULES);
  const media = new MediaWorkerPool(1);
  const events: Array<{ object: string; type: string; data: Record<string, unknown> }> = [];
  const factories = new Map<string, ObjectFactory>([
    ['MediaPipeline', MediaPipeline], ['Composite', NodeOwningHub], ['HubPort', PortElement], ['PassThrough', PassThrough],
  ]);
  const router = new OperationRouter({
    api, marshaller: new Marshaller(api), media, factories, settings: { modules: {} }, maxObjectsPerSession: 1000,
    tags: { maxPerObject: 64, maxLength: 4096 }, isolateSessions: false,
    deliver: (_sid, v) => events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown> }),
  });
  const sid = 'session';
  try {
    const pipelineId = await router.create(sid, 'MediaPipeline', {}, undefined);
    const hubId = await router.create(sid, 'Composite', { mediaPipeline: pipelineId }, undefined);
    const portId = await router.create(sid, 'HubPort', { hub: hubId }, undefined);
    const hub = router.lookup(sid, hubId);
    const port = router.lookup(sid, portId) as PortElement;

    assert.equal(port.parent, hub, "a HubPort's parent is its hub");
    assert.equal(port.pipeline?.id, pipelineId);
    assert.ok(portId.startsWith(`${pipelineId}/`), 'ids keep the pipeline prefix');
    assert.equal(await router.invoke(sid, portId, 'getParent', {}), hubId);
    assert.ok(hub.hasMedia && port.hasMedia);

    for (const id of [hubId, portId]) router.subscribe(sid, id, 'Error');
    port.askForAnOffer();
    await until(() => events.some((e) => e.object === portId && e.type === 'Error'));
    const err = events.find((e) => e.object === portId)!;
    assert.match(String(err.data.description), /processOffer/);
    assert.equal(events.filter((e) => e.object === hubId).length, 0, 'the event reached the port, not its parent');

    await media.crashWorkerOf(pipelineId);
    await until(() => events.filter((e) => /MEDIA_WORKER_CRASHED/.test(String(e.data.type))).length === 2);
    assert.deepEqual(events.filter((e) => e.data.type === 'MEDIA_WORKER_CRASHED').map((e) => e.object).sort(), [hubId, portId].sort(),
      'a crash reaches every object of the pipeline, ports under their hub too');

    router.release(sid, hubId);
    assert.ok(port.released, 'releasing a hub releases its ports');
    assert.throws(() => router.lookup(sid, portId), /not found/);
    router.release(sid, pipelineId);
    assert.equal(media.attachedPipelines, 0);
  } finally {
    router.shutdown();
    await media.close();
  }
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
