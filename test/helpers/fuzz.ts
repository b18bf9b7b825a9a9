/** Seeded random inputs for fuzz tests: a fast deterministic generator and byte mutations. */

/** xorshift32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

export function mutate(base: Buffer, r: () => number): Buffer {
  const b = Buffer.from(base);
  const kind = Math.floor(r() * 4);
  if (kind === 0) return b.subarray(0, Math.floor(r() * b.length));
  const flips = 1 + Math.floor(r() * 8);
  for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  if (kind === 2 && b.length > 4) b.writeUInt16BE(Math.floor(r() * 65536), 2); // lying length field
  if (kind === 3) return Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]);
  return b;
}


/** `n` random bytes. */
export function randomBytes(r: () => number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
}
