/** ApiRegistry lookups and the Marshaller's conversions and error messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiRegistry } from '../../src/api/ApiRegistry.ts';
import { Marshaller, type ObjectRef } from '../../src/api/Marshaller.ts';
import { ALL_MODULES } from '../../src/api/modules/index.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';

const api = new ApiRegistry(ALL_MODULES);
const m = new Marshaller(api);
const objects = new Map<string, ObjectRef>([
  ['P', { id: 'P', typeName: 'MediaPipeline' }],
  ['E', { id: 'P/E', typeName: 'WebRtcEndpoint' }],
  ['H', { id: 'P/H', typeName: 'Composite' }],
]);
const resolver = { resolve: (id: string) => objects.get(id) };

function fails(fn: () => unknown, type: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof KurentoError && e.type === type && (!message || message.test(e.message)));
}

test('classes by bare and qualified name; hierarchy nearest first', () => {
  assert.equal(api.getClass('kurento.WebRtcEndpoint')?.name, 'WebRtcEndpoint');
  assert.equal(api.getClass('chroma.ChromaFilter')?.name, 'ChromaFilter');
  assert.equal(api.getClass('ChromaFilter')?.module, 'chroma');
  assert.equal(api.qualifiedName('PlateDetectorFilter'), 'platedetector.PlateDetectorFilter');
  assert.deepEqual(api.hierarchy('WebRtcEndpoint'), ['kurento.BaseRtpEndpoint', 'kurento.SdpEndpoint', 'kurento.SessionEndpoint', 'kurento.Endpoint', 'kurento.MediaElement', 'kurento.MediaObject']);
  assert.deepEqual(api.hierarchy('ServerManager'), ['kurento.MediaObject']);
  assert.ok(api.isA('HubPort', 'MediaElement'));
  assert.ok(!api.isA('Composite', 'MediaElement'));
});

test('operations: methods, getters, setters (not for read-only/final), 6.x names', () => {
  assert.equal(api.resolveOperation('WebRtcEndpoint', 'processOffer')?.kind, 'method');
  assert.equal(api.resolveOperation('WebRtcEndpoint', 'getStunServerAddress')?.kind, 'get');
  assert.equal(api.resolveOperation('WebRtcEndpoint', 'setStunServerAddress')?.kind, 'set');
  assert.equal(api.resolveOperation('WebRtcEndpoint', 'getICECandidatePairs')?.kind, 'get');
  assert.equal(api.resolveOperation('MediaPipeline', 'getChildren')?.kind, 'get');
  assert.equal(api.resolveOperation('MediaPipeline', 'getChilds')?.kind, 'get');
  assert.equal(api.resolveOperation('MediaPipeline', 'setChildren'), undefined);
  assert.equal(api.resolveOperation('MediaPipeline', 'setId'), undefined);
  assert.equal(api.resolveOperation('MediaPipeline', 'setCreationTime'), undefined);
  assert.equal(api.resolveOperation('PassThrough', 'setOutputBitrate')?.kind, 'method');
  assert.equal(api.resolveOperation('PassThrough', 'processOffer'), undefined);
});

test('events: declared up the hierarchy, 6.x aliases resolve to 7.x names', () => {
  assert.equal(api.resolveEvent('WebRtcEndpoint', 'IceCandidateFound')?.canonical, 'IceCandidateFound');
  assert.equal(api.resolveEvent('WebRtcEndpoint', 'OnIceCandidate')?.canonical, 'IceCandidateFound');
  assert.equal(api.resolveEvent('WebRtcEndpoint', 'Error')?.canonical, 'Error');
  assert.equal(api.resolveEvent('PassThrough', 'MediaFlowInStateChange')?.canonical, 'MediaFlowInStateChanged');
  assert.equal(api.resolveEvent('PassThrough', 'IceCandidateFound'), undefined);
  assert.equal(api.resolveEvent('PassThrough', 'NoSuchEvent'), undefined);
  assert.deepEqual([...api.eventAliases('IceComponentStateChanged')].sort(), ['IceComponentStateChange', 'OnIceComponentStateChanged']);
  assert.deepEqual(api.eventProperties('ObjectCreated').map((p) => p.name).sort(), ['object', 'source', 'tags', 'timestamp', 'timestampMillis']);
});

test('primitives and their error messages', () => {
  assert.equal(m.unmarshal('int', 5, 'x', resolver), 5);
  fails(() => m.unmarshal('int', 5.5, 'x', resolver), 'MARSHALL_ERROR', /'x' parameter should be a int/);
  fails(() => m.unmarshal('int', 2 ** 31, 'x', resolver), 'MARSHALL_ERROR');
  fails(() => m.unmarshal('int', '5', 'x', resolver), 'MARSHALL_ERROR');
  assert.equal(m.unmarshal('int64', 2 ** 40, 'x', resolver), 2 ** 40);
  assert.equal(m.unmarshal('float', 0.5, 'x', resolver), 0.5);
  fails(() => m.unmarshal('float', Number.NaN, 'x', resolver), 'MARSHALL_ERROR');
  fails(() => m.unmarshal('boolean', 'true', 'x', resolver), 'MARSHALL_ERROR');
  fails(() => m.unmarshal('String', 1, 'x', resolver), 'MARSHALL_ERROR');
  assert.deepEqual(m.unmarshal('String[]', ['a', 'b'], 'x', resolver), ['a', 'b']);
  fails(() => m.unmarshal('String[]', ['a', 1], 'x', resolver), 'MARSHALL_ERROR', /x\[1\]/);
});

test('enums, complex types with and without __module__/__type__, nested, subtypes', () => {
  assert.equal(m.unmarshal('MediaType', 'VIDEO', 't', resolver), 'VIDEO');
  fails(() => m.unmarshal('MediaType', 'SMELL', 't', resolver), 'MARSHALL_ERROR', /AUDIO, DATA, VIDEO/);
  const c = { candidate: 'candidate:1 1 UDP 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  assert.deepEqual(m.unmarshal('IceCandidate', c, 'candidate', resolver), c);
  assert.deepEqual(m.unmarshal('IceCandidate', { ...c, __module__: 'kurento', __type__: 'IceCandidate' }, 'candidate', resolver), c);
  fails(() => m.unmarshal('IceCandidate', { candidate: 'x', sdpMid: '0' }, 'candidate', resolver), 'MARSHALL_ERROR', /candidate\.sdpMLineIndex/);
  const caps = m.unmarshal('VideoCaps', { codec: 'VP8', framerate: { numerator: 30, denominator: 1 } }, 'caps', resolver);
  assert.deepEqual(caps, { codec: 'VP8', framerate: { numerator: 30, denominator: 1 } });
  fails(() => m.unmarshal('VideoCaps', { codec: 'VP8', framerate: { numerator: 'x', denominator: 1 } }, 'caps', resolver), 'MARSHALL_ERROR', /caps\.framerate\.numerator/);
  // OfferOptions fields are optional with defaults.
  assert.deepEqual(m.unmarshal('OfferOptions', {}, 'options', resolver), { offerToReceiveAudio: true, offerToReceiveVideo: true });
  // A __type__ naming a type that is not a subtype is refused.
  fails(() => m.unmarshal('IceCandidate', { ...c, __type__: 'Tag' }, 'candidate', resolver), 'MARSHALL_ERROR');
});

test('object references resolve to live objects of the right class', () => {
  assert.equal(m.unmarshal('MediaPipeline', 'P', 'mediaPipeline', resolver), objects.get('P'));
  assert.equal(m.unmarshal('MediaElement', 'E', 'sink', resolver), objects.get('E'));
  fails(() => m.unmarshal('MediaElement', 'H', 'sink', resolver), 'MARSHALL_ERROR', /'sink' parameter should be a MediaElement/);
  fails(() => m.unmarshal('MediaElement', 'ghost', 'sink', resolver), 'MEDIA_OBJECT_NOT_FOUND', /Object 'ghost' not found/);
  fails(() => m.unmarshal('MediaElement', 'newref:3', 'sink', resolver), 'MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT');
  fails(() => m.unmarshal('MediaElement', 42, 'sink', resolver), 'MARSHALL_ERROR');
  // kurento-client's promise form sends an awaited object whole: its id is the reference.
  assert.equal(m.unmarshal('MediaElement', { id: 'E', name: 'x', __type__: 'WebRtcEndpoint' }, 'sink', resolver), objects.get('E'));
  fails(() => m.unmarshal('MediaElement', { id: 'ghost' }, 'sink', resolver), 'MEDIA_OBJECT_NOT_FOUND');
  fails(() => m.unmarshal('MediaElement', { name: 'E' }, 'sink', resolver), 'MARSHALL_ERROR');
});

test('params: defaults, required, extra keys ignored, non-object refused', () => {
  const defs = api.findMethod('WebRtcEndpoint', 'createDataChannel')!.def.params;
  assert.deepEqual(m.unmarshalParams(defs, undefined, resolver, 'operationParams'), { label: '', ordered: true, maxPacketLifeTime: -1, maxRetransmits: -1, protocol: '' });
  const conn = api.findMethod('MediaElement', 'connect')!.def.params;
  fails(() => m.unmarshalParams(conn, null, resolver, 'operationParams'), 'MARSHALL_ERROR', /'operationParams' is required/);
  fails(() => m.unmarshalParams(conn, 'x', resolver, 'operationParams'), 'MARSHALL_ERROR', /should be an object/);
  fails(() => m.unmarshalParams(conn, {}, resolver, 'operationParams'), 'MARSHALL_ERROR', /'sink' parameter should be a MediaElement/);
  assert.deepEqual(Object.keys(m.unmarshalParams(conn, { sink: 'E', junk: { a: 1 } }, resolver, 'operationParams')), ['sink']);
});

test('hostile nesting is refused without blowing the stack', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { numerator: deep, denominator: 1 };
  fails(() => m.unmarshal('Fraction', deep, 'f', resolver), 'MARSHALL_ERROR');
  let arr: unknown = [];
  for (let i = 0; i < 100_000; i++) arr = [arr];
  fails(() => m.unmarshal('String[]', arr, 'a', resolver), 'MARSHALL_ERROR');
  fails(() => m.unmarshal('Tag<>', { a: { b: { c: 1 } } }, 'm', resolver), 'MARSHALL_ERROR');
});

test('marshal: ids for objects, __module__/__type__ on complex values, maps and arrays', () => {
  assert.equal(m.marshal('MediaObject', objects.get('E')), 'P/E');
  assert.deepEqual(m.marshal('MediaObject[]', [objects.get('P'), objects.get('E')]), ['P', 'P/E']);
  assert.deepEqual(m.marshal('Tag', { key: 'k', value: 'v' }), { key: 'k', value: 'v', __module__: 'kurento', __type__: 'Tag' });
  const info = m.marshal('ServerInfo', { version: '1', modules: [{ name: 'core', version: '7', generationTime: 't', factories: ['A'] }], type: 'KMS', capabilities: [] }) as Record<string, unknown>;
  assert.equal(info.__type__, 'ServerInfo');
  assert.equal((info.modules as Array<Record<string, unknown>>)[0]!.__type__, 'ModuleInfo');
  const stats = m.marshal('Stats<>', { a: { __type__: 'RTCInboundRTPStreamStats', id: 'a', type: 'inboundrtp', timestampMillis: 1, packetsReceived: 7 } }) as Record<string, Record<string, unknown>>;
  assert.equal(stats.a!.__type__, 'RTCInboundRTPStreamStats');
  assert.equal(stats.a!.packetsReceived, 7);
  assert.equal(m.marshal('String', undefined), null);
});
