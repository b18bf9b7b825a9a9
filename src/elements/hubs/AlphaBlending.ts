import { Hub } from './Hub.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../../core/types.ts';

/** Highest zOrder taken: the compositor's pad order is a uint, and no layout needs more layers. */
const MAX_Z = 1000;

/**
 * KMD `AlphaBlending`: `setMaster(source, zOrder)` makes a port's picture the
 * background, `setPortProperties(relativeX, relativeY, zOrder, relativeWidth,
 * relativeHeight, port)` places another port's picture over it ("values from 0 to 1",
 * relative to the master's picture); audio is mixed (media node: AlphaBlendingNode).
 */
export class AlphaBlending extends Hub {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('AlphaBlending', {});
  }

  async setMaster(p: Params): Promise<void> {
    const port = this.ownPort(p.source, 'source');
    await this.mediaCall('setMaster', { port: port.id, zOrder: zOrderOf(p.zOrder) });
  }

  async setPortProperties(p: Params): Promise<void> {
    const port = this.ownPort(p.port, 'port');
    const [relativeX, relativeY, relativeWidth, relativeHeight] = (['relativeX', 'relativeY', 'relativeWidth', 'relativeHeight'] as const).map((name) => {
      const v = p[name] as number;
      if (!(v >= 0 && v <= 1)) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `AlphaBlending ${name} ${v} is out of range (0 to 1)`);
      return v;
    }) as [number, number, number, number];
    await this.mediaCall('setPortProperties', { port: port.id, relativeX, relativeY, relativeWidth, relativeHeight, zOrder: zOrderOf(p.zOrder) });
  }
}

function zOrderOf(v: unknown): number {
  const z = v as number;
  if (z < 0 || z > MAX_Z) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `AlphaBlending zOrder ${z} is out of range (0 to ${MAX_Z})`);
  return z;
}
