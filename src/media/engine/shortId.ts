/**
 * The first characters of a media object's own id (after its pipeline's prefix), kept
 * to what engine bin names allow (src/engine: [A-Za-z0-9_.:-]): bins named after their
 * element are told apart in the engine's DOT and errors.
 */
export function shortId(id: string): string {
  return id.replace(/^.*\//, '').replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 8);
}
