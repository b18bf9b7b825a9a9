'use strict';
// Plate detector page: Hello World's messages (loopbackPage in /tutorial.js) plus
// plateDetected{plate}, which the original prints as "License plate detected <plate>".
loopbackPage('/platedetector', (m) => {
  if (m.id !== 'plateDetected') return false;
  const item = document.createElement('li');
  item.className = 'plate';
  item.textContent = m.plate;
  document.getElementById('plates').append(item);
  log('License plate detected ' + m.plate);
  return true;
});
