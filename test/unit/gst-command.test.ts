/**
 * GStreamerFilter's command as the control plane reads it (gstCommand.ts): every
 * element a gst-launch fragment makes, wherever it stands, so that unsafe ones are
 * refused at create (issue 12 item 4); the engine checks the parsed bin as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCommand, commandElements, detectFilterType, nameFirstElement, unsafeFactoryPattern, unsafeProperty } from '../../src/elements/filters/gstCommand.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';

test('every element of a fragment: after !, in a second chain, as a bin type, as a URI', () => {
  assert.deepEqual(commandElements('videoflip video-direction=horiz ! capsfilter caps="video/x-raw, width=(int)320" ! gamma gamma=2'), ['videoflip', 'capsfilter', 'gamma']);
  assert.deepEqual(commandElements('tee name=t ! queue ! fakesink t. ! queue ! videoconvert'), ['tee', 'queue', 'fakesink', 'queue', 'videoconvert']);
  assert.deepEqual(commandElements('videoflip name=f filesink location=/tmp/x f.'), ['videoflip', 'filesink']);
  assert.deepEqual(commandElements('queue ! bin.( filesink location=/tmp/x )'), ['queue', 'bin', 'filesink']);
  assert.deepEqual(commandElements('file:///etc/passwd ! queue'), ['file:///etc/passwd', 'queue']);
  assert.deepEqual(commandElements("textoverlay text='a ! b filesink' ! queue"), ['textoverlay', 'queue'], 'quoted values are values');
});

test('checkCommand refuses unsafe elements wherever they stand, and URIs; allows them when configured', () => {
  const refused = (command: string, name: RegExp) => assert.throws(() => checkCommand(command, false), (e: unknown) => e instanceof KurentoError && e.type === 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR' && e.code === 40107 && name.test(e.message), command);
  refused('videoconvert ! filesink location=/tmp/x', /filesink/);
  refused('videoflip name=f filesink location=/tmp/x f.', /filesink/);
  refused('videoflip name=f   udpsink host=10.0.0.1 port=9 f.', /udpsink/);
  refused('queue ! bin.( tcpserversink port=9 )', /tcpserversink/);
  refused('https://example.org/x.png ! queue', /https:\/\//);
  refused('   ', /empty/);
  refused('vp8enc multipass-mode=first-pass multipass-cache-file=/etc/x ! vp8dec', /multipass-cache-file/);
  refused('gdkpixbufoverlay location=/root/secret.png', /location/);
  refused('videoflip f::location=/x', /location/);
  checkCommand('videoflip name=f filesink location=/tmp/x f.', true);
  checkCommand('videoflip video-direction=horiz ! gamma gamma=2', false);
  checkCommand('capsfilter caps="video/x-raw, format=(string)I420" ! textoverlay text="path=/x" font-desc="Sans 24"', false);
  assert.ok(unsafeProperty('location') && unsafeProperty('multipass-cache-file') && unsafeProperty('device') && !unsafeProperty('video-direction') && !unsafeProperty('profile'));
});

test('the engine pattern names the same factories; filter type and first element unchanged', () => {
  const re = new RegExp(unsafeFactoryPattern());
  for (const f of ['filesrc', 'filesink', 'multifilesink', 'udpsink', 'tcpserversink', 'souphttpsrc', 'rtspsrc', 'appsink', 'uridecodebin']) assert.ok(re.test(f), f);
  for (const f of ['videoflip', 'queue', 'videoconvert', 'tee', 'fakesink', 'gamma', 'decodebin3x']) assert.ok(!re.test(f), f);
  assert.equal(detectFilterType('volume volume=0.5 ! audioconvert'), 'AUDIO');
  assert.equal(detectFilterType('videoflip video-direction=horiz'), 'VIDEO');
  assert.deepEqual(nameFirstElement('videoflip video-direction=horiz'), { command: 'videoflip video-direction=horiz name=fluo_filter ', element: 'fluo_filter' });
  assert.deepEqual(nameFirstElement('videoflip name=f ! gamma'), { command: 'videoflip name=f ! gamma', element: 'f' });
});
