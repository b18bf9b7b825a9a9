'use strict';
// Hello World page: same messages as Kurento's tutorial (start, stop, onIceCandidate),
// handled by loopbackPage in /tutorial.js.
loopbackPage('/helloworld', 'Connected: media is flowing through Fluo.', () => false);
