import type { Plugin } from 'esbuild';

/** The esbuild plugin that gives the bundles a light werift Event (see lightEvents.mjs). */
export const lightWeriftEvents: Plugin;
