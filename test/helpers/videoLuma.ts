/**
 * Runs inside a page (Chromium through playwright-core, Firefox through WebDriver BiDi):
 * the playback time and mean luma of what the <video> matching `selector` shows now,
 * sampled on a 64x48 canvas. Self-contained, since the browser gets only its source.
 */
export function videoLuma(selector: string): { time: number; luma: number } {
  const v = document.querySelector(selector) as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0, 64, 48);
  const d = g.getImageData(0, 0, 64, 48).data;
  let sum = 0;
  for (let i = 0; i < d.length; i += 4) sum += (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
  return { time: v.currentTime, luma: sum / (d.length / 4) };
}
