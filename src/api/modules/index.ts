import type { ModuleDef } from '../types.ts';
import { core } from './core.ts';
import { elements } from './elements.ts';
import { filters } from './filters.ts';
import { chroma } from './chroma.ts';
import { crowddetector } from './crowddetector.ts';
import { platedetector } from './platedetector.ts';
import { pointerdetector } from './pointerdetector.ts';
import { datachannelexample } from './datachannelexample.ts';

/** Every Kurento module Fluo declares, in dependency order. */
export const ALL_MODULES: readonly ModuleDef[] = [core, elements, filters, chroma, crowddetector, platedetector, pointerdetector, datachannelexample];
