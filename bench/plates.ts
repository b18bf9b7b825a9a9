/**
 * npm run bench:plates [-- SEED] [-- H,INK ...] — how well PlateDetectorFilter's analysis
 * reads rendered plates, and how long it takes:
 * - 28 scenes from test/helpers/plateScene.ts (7 plates, every other one at 320x240,
 *   random position and scale 0.75-1.35, every fifth yellow), seeded;
 * - locator hits (best candidate IoU > 0.5 with the drawn plate);
 * - for each OCR crop variant (character height, ink level; default 28,0.3 and two
 *   neighbours), how many read exactly right, and the median time of a tesseract call.
 */
import { iou, grayFrom, type GrayImage } from '../src/media/filters/vision/GrayImage.ts';
import { cropForOcr } from '../src/media/filters/vision/ocrCrop.ts';
import { PlateLocator, type PlateCandidate } from '../src/media/filters/vision/PlateLocator.ts';
import { normalisePlate } from '../src/media/filters/vision/plateText.ts';
import { TesseractOcr } from '../src/media/filters/vision/TesseractOcr.ts';
import { renderPlateScene } from '../test/helpers/plateScene.ts';

const args = process.argv.slice(2);
let seed = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const variantArgs = args.filter((a) => a.includes(','));
const variants = (variantArgs.length ? variantArgs : ['28,0.3', '24,0.3', '36,0.5']).map((v) => {
  const [h, ink] = v.split(',').map(Number);
  return { charHeight: h!, inkLevel: ink! };
});

const plates = ['8886AJR', '1234BCD', '5678KLM', '9021FGH', '3355XYZ', '6048DSB', '7712GNP'];
const scenes: { img: GrayImage; best: PlateCandidate; plate: string }[] = [];
let missed = 0;
const locateMs: number[] = [];
const locator = new PlateLocator();
for (let i = 0; i < 28; i++) {
  const scale = 0.75 + rnd() * 0.6;
  const plate = plates[i % plates.length]!;
  const s = renderPlateScene({
    plate, scale, yellow: i % 5 === 0,
    x: Math.round(70 + rnd() * (490 - 200 * scale)), y: Math.round(310 + rnd() * (105 - 43 * scale)),
    ...(i % 2 ? { width: 320, height: 240 } : {}),
  });
  s.dispose();
  const img = grayFrom({ data: s.gray, width: s.width, height: s.height, format: 'GRAY8' });
  if (typeof img === 'string') throw new Error(img);
  const t0 = performance.now();
  const best = locator.locate(img)[0];
  locateMs.push(performance.now() - t0);
  if (best && iou(best, s.plateRect!) > 0.5) scenes.push({ img, best, plate });
  else missed++;
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
console.log(`locator: ${scenes.length} of ${scenes.length + missed} plates found, median ${median(locateMs).toFixed(1)} ms`);

const ocr = new TesseractOcr();
for (const v of variants) {
  let right = 0;
  const ms: number[] = [];
  const wrong: string[] = [];
  for (const s of scenes) {
    const t0 = performance.now();
    const r = await ocr.recognise(cropForOcr(s.img, s.best, v).image);
    ms.push(performance.now() - t0);
    const text = normalisePlate(r.text);
    if (text === s.plate) right++;
    else wrong.push(`${s.plate}->${r.text || '(nothing)'}`);
  }
  console.log(`crop ${v.charHeight} px, ink ${v.inkLevel}: ${right} of ${scenes.length} read right, tesseract median ${median(ms).toFixed(0)} ms${wrong.length ? `; wrong: ${wrong.join(' ')}` : ''}`);
}
