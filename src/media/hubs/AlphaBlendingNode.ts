import type { EmitFn } from '../graph/MediaNode.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { NodeOpHandlers } from '../../shared/workerProtocol.ts';
import type { HubPortNode } from './HubPortNode.ts';
import { MixingHubNode, type MixSettings, type Placement } from './MixingHubNode.ts';

/**
 * AlphaBlending's picture: KMS takes the master port's size; Fluo mixes into a fixed
 * one (the master is scaled to fill it, its aspect kept), so the output never changes
 * size under the viewers when the master does.
 */
export const ALPHA_BLENDING_SETTINGS: MixSettings = { width: 640, height: 480, framerate: 15 };

/** setPortProperties' values (KMD: relative to the master's picture, 0 to 1). */
interface Relative { x: number; y: number; width: number; height: number; zOrder: number }

/**
 * The media half of KMD `AlphaBlending`: the master port's picture fills the output
 * (`setMaster(port, zOrder)`), and each port given `setPortProperties` is drawn over
 * it at that place and size, relative to the master ("values from 0 to 1"), the
 * greatest zOrder on top. A port with neither is not drawn. Audio is mixed as in
 * Composite (each port hears the others).
 */
export class AlphaBlendingNode extends MixingHubNode {
  #master: { port: HubPortNode; zOrder: number } | undefined;
  readonly #relative = new Map<HubPortNode, Relative>();

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'AlphaBlending', ALPHA_BLENDING_SETTINGS, engine);
  }

  protected place(ports: readonly HubPortNode[]): Map<HubPortNode, Placement> {
    const { width: W, height: H } = this.settings;
    const even = (v: number): number => Math.max(2, Math.round(v / 2) * 2);
    const out = new Map<HubPortNode, Placement>();
    for (const port of ports) {
      if (port === this.#master?.port) {
        out.set(port, { xpos: 0, ypos: 0, width: W, height: H, zorder: this.#master.zOrder, alpha: 1 });
        continue;
      }
      const r = this.#relative.get(port);
      if (r) out.set(port, { xpos: Math.round(r.x * W), ypos: Math.round(r.y * H), width: even(r.width * W), height: even(r.height * H), zorder: r.zOrder, alpha: 1 });
    }
    return out;
  }

  protected override portRemoved(port: HubPortNode): void {
    if (this.#master?.port === port) this.#master = undefined;
    this.#relative.delete(port);
    super.portRemoved(port);
  }

  protected override operations(): NodeOpHandlers<'AlphaBlending'> {
    return {
      ...super.operations(),
      setMaster: async (a) => {
        this.#master = { port: this.port(a.port), zOrder: a.zOrder };
        await this.relayout();
        return null;
      },
      setPortProperties: async (a) => {
        this.#relative.set(this.port(a.port), { x: a.relativeX, y: a.relativeY, width: a.relativeWidth, height: a.relativeHeight, zOrder: a.zOrder });
        await this.relayout();
        return null;
      },
    };
  }
}
