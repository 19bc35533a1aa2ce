/**
 * The one data opener: `--data` as every command, the grid and the notebooks mean it (a MedMNIST flag, an .npz,
 * a pool, fashion-mnist, a segmentation pack or folder, a DICOM folder), split by `splitSeed`, its training split
 * limited, every split fitted to the backbone. Reading is `loadData` (load.ts, Node: files); the rest is
 * `openWith` (open-with.ts), which needs no files and runs in a web page too.
 */
import { loadData, type DataSplits } from './load';
import { openWith, type OpenDataOptions } from '../../data/sources/open-with';

export { checkDicomLoad, type OpenDataOptions } from '../../data/sources/open-with';

/** Open `spec` from files (see `openWith`). */
export async function openData(spec: string, options: OpenDataOptions = {}): Promise<DataSplits> {
  return openWith(loadData, spec, options);
}
