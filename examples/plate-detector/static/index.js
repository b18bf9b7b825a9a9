'use strict';
// Plate detector page: Kurento's tutorial messages (loopbackPage in /tutorial.js), plus
// plateDetected{plate}, which the original prints as "License plate detected <plate>".
loopbackPage('/platedetector', 'Connected: show a licence plate to the camera.', (m) => {
  if (m.id !== 'plateDetected') return false;
  const item = document.createElement('li');
  item.className = 'plate';
  item.textContent = m.plate;
  document.getElementById('plates').append(item);
  log('License plate detected ' + m.plate);
  return true;
});
