import type { EmitFn, GStreamerFilterOptions, NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';

/**
 * KMD `GStreamerFilter`: the application's gst-launch fragment as the core of a filter
 * (raw media in, raw media out). The control plane has checked and adjusted the
 * command; the engine parses it, and a fragment it cannot parse or link fails `ready`,
 * so `create` is refused with the engine's reason.
 */
export class GStreamerFilterNode extends FilterNode {
  readonly #command: string;
  readonly #element: string;
  readonly #refuse: string | undefined;

  constructor(id: string, emit: EmitFn, options: GStreamerFilterOptions, engine: NodeEngine) {
    super(id, emit, 'GStreamerFilter', engine, options.media);
    this.#command = options.command;
    this.#element = options.element;
    this.#refuse = options.refuseFactories;
  }

  protected core(): FilterCore {
    return { fragment: this.#command, ...(this.#refuse === undefined ? {} : { refuseFactories: this.#refuse }) };
  }

  protected override operations(): NodeOpHandlers<'GStreamerFilter'> {
    return {
      ...super.operations(),
      setElementProperty: async ({ name, value }) => {
        const bin = await this.ready();
        try {
          await bin.setProperty(this.#element, name, value);
        } catch (err) {
          throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `GStreamerFilter: cannot set ${name}=${value}: ${err instanceof Error ? err.message : String(err)}`);
        }
        return null;
      },
    };
  }
}
