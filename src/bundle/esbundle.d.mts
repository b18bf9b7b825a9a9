/** Bundles `entry` (absolute path under src/) into node_modules/.cache/<cacheName>/ and resolves with the bundle's URL. */
export function bundle(entry: string, cacheName: string): Promise<URL>;
