import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import type { Wire } from '../../shared/workerProtocol.ts';
import { parseRois } from '../../media/filters/vision/RoiConfig.ts';
import { CrowdAnalyzer, DEFAULT_PROCESSING_WIDTH } from '../../media/filters/vision/CrowdAnalyzer.ts';

/**
 * KMD `CrowdDetectorFilter` (module crowddetector; media node: CrowdDetectorFilterNode).
 * The ROIs are checked here with the media node's own pure checks, so malformed ones
 * refuse `create` with their reason; `processingWidth` (KMD property, default 320) is
 * checked the same way and passed to the node, which may already be analysing.
 */
export class CrowdDetectorFilter extends Filter {
  readonly #check: CrowdAnalyzer;

  constructor(init: ObjectInit, params: Params) {
    super(init);
    parseRois(params.rois);
    this.#check = new CrowdAnalyzer([], { processingWidth: DEFAULT_PROCESSING_WIDTH });
    this.createMedia('CrowdDetectorFilter', { rois: params.rois as Wire[], processingWidth: DEFAULT_PROCESSING_WIDTH });
    // The API's default is the KMD's text "320"; the property is an int.
    super.setProperty('processingWidth', DEFAULT_PROCESSING_WIDTH);
  }

  override setProperty(name: string, value: unknown): void {
    if (name === 'processingWidth') {
      this.#check.processingWidth = value;
      this.mediaPost('setProcessingWidth', { width: this.#check.processingWidth });
    }
    super.setProperty(name, value);
  }
}
