/** An image format gdk-pixbuf loads (gdkpixbufoverlay reads the file through it), and the picture's size. */
export interface ImageHeader {
  type: 'png' | 'jpeg' | 'gif' | 'bmp';
  width: number;
  height: number;
}

/**
 * The format and size of an image from its first bytes, or undefined when it is none
 * of PNG, JPEG, GIF and BMP: what an overlay may be. Checked before the engine sees the
 * file, because gdkpixbufoverlay only logs an image it cannot load and keeps drawing
 * the previous one, so the caller would never learn. The size lets keepAspectRatio
 * be computed here (gdkpixbufoverlay stretches to the size it is given).
 */
export function imageHeader(b: Buffer): ImageHeader | undefined {
  // PNG: 8-byte signature, then the IHDR chunk (PNG spec §5.2, §11.2.2).
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a && b.toString('latin1', 12, 16) === 'IHDR') {
    return sized('png', b.readUInt32BE(16), b.readUInt32BE(20));
  }
  // GIF87a / GIF89a: logical screen width and height, little-endian (GIF89a §18).
  if (b.length >= 10 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) {
    return sized('gif', b.readUInt16LE(6), b.readUInt16LE(8));
  }
  // BMP: "BM", then a DIB header whose size tells its kind (12: OS/2 core header, 16-bit sizes).
  if (b.length >= 26 && b.toString('latin1', 0, 2) === 'BM') {
    const dib = b.readUInt32LE(14);
    if (dib === 12) return sized('bmp', b.readUInt16LE(18), b.readUInt16LE(20));
    if (dib >= 40 && b.length >= 26) return sized('bmp', Math.abs(b.readInt32LE(18)), Math.abs(b.readInt32LE(22)));
    return undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  return undefined;
}

function sized(type: ImageHeader['type'], width: number, height: number): ImageHeader | undefined {
  return width > 0 && height > 0 ? { type, width, height } : undefined;
}

/** JPEG: walk the marker segments to the first start-of-frame (ITU T.81 §B.2.2). */
function jpeg(b: Buffer): ImageHeader | undefined {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    const length = b.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) return undefined;
      return sized('jpeg', b.readUInt16BE(i + 7), b.readUInt16BE(i + 5));
    }
    i += 2 + length;
  }
  return undefined;
}
