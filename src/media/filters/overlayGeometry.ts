import type { OverlayPlacement } from '../../shared/workerProtocol.ts';
import type { PixelRect } from './OverlayPool.ts';
import type { Size } from './FrameSize.ts';

/**
 * ImageOverlayFilter.addImage (KMD doc): the region's top-left corner at offsetXPercent
 * and offsetYPercent of the picture, its size widthPercent and heightPercent of it, all
 * fractions 0..1. With keepAspectRatio the image is scaled to fit inside the region
 * keeping its proportions; with center it is then centred in the region ("if the image
 * doesn't fit in the dimensions, the image will be center into the region"), otherwise
 * it stays at the region's top-left corner. A width or height of 0 is the image's own.
 */
export function imageRect(frame: Size, p: OverlayPlacement, image: Size, keepAspectRatio: boolean, center: boolean): PixelRect {
  const region = {
    x: p.offsetXPercent * frame.width,
    y: p.offsetYPercent * frame.height,
    width: p.widthPercent > 0 ? p.widthPercent * frame.width : image.width,
    height: p.heightPercent > 0 ? p.heightPercent * frame.height : image.height,
  };
  if (!keepAspectRatio) return region;
  const scale = Math.min(region.width / image.width, region.height / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  if (!center) return { x: region.x, y: region.y, width, height };
  return { x: region.x + (region.width - width) / 2, y: region.y + (region.height - height) / 2, width, height };
}

/** A face found by facedetect, in the pixels of the picture it ran on. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * FaceOverlayFilter.setOverlayedImage: the image's top-left corner at the face box's
 * top-left corner moved by offsetXPercent face widths right and offsetYPercent face
 * heights down; its size widthPercent and heightPercent of the face's. The KMD text
 * says a positive Y offset moves the image up, but Kurento's Magic Mirror passes -1.2
 * to put a hat above the head (Kurento docs, "Magic Mirror": -0.35, -1.2, 1.6, 1.6),
 * which only holds with Y growing downwards as in the picture, so that is what is done.
 * `scale` maps the detection picture's pixels to the frame's.
 */
export function faceRect(face: FaceBox, scale: { x: number; y: number }, p: OverlayPlacement): PixelRect {
  const fx = face.x * scale.x;
  const fy = face.y * scale.y;
  const fw = face.width * scale.x;
  const fh = face.height * scale.y;
  return { x: fx + p.offsetXPercent * fw, y: fy + p.offsetYPercent * fh, width: p.widthPercent * fw, height: p.heightPercent * fh };
}
