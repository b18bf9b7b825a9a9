'use strict';
// Hello World page: same messages as Kurento's tutorial (start, stop, onIceCandidate).
// The Magic Mirror's page uses it too, with its own WebSocket path (body data-ws).
loopbackPage(document.body.dataset.ws || '/helloworld', () => false);
