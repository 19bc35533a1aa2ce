/**
 * The grid's readers under Node (the `GridSources` of src/grid/sources.ts): data by name from files (`loadData`),
 * segmentation data told apart by their files, and backbones by bundled name, folder or file with the MAE decoder
 * found beside them.
 */
import { loadData } from './sources/load';
import { isSegmentationData } from './sources/seg-source';
import { openBackbone } from './backbone';
import { fileBytes, optionalFileBytes } from './stage-files';

/** Read grids' data and backbones from files. */
export const nodeGridSources = {
  loadData,
  isSegmentation: isSegmentationData,
  async openBackbone(name: string) {
    const { vit, metadata, paths } = await openBackbone(name);
    try {
      return { vit, metadata, file: fileBytes(paths.backbone, 'backbone'), decoder: optionalFileBytes(paths.decoder, 'decoder') ?? null };
    } catch (e) {
      vit.dispose();
      throw e;
    }
  },
};
