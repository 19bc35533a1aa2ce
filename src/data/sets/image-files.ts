/**
 * A labelled dataset from image files given as bytes with their paths (a folder dropped into a web page, or read
 * from disk), labelled by the name of the folder each image sits in: `scans/benign/a.png` is class "benign". The
 * images are decoded (PNG, JPEG) and converted as the image pools are (grey by luma, centre square, area resize:
 * `convertImage`), so a participant's own images meet a backbone the way the bundled data do.
 */
import { convertImage, decodeImage } from '../sources/pool-build';
import { validateDataset, type Dataset } from './dataset';

/** One file: its path inside the dropped folder (`/` separated) and its bytes. */
export interface ImageFile {
  path: string;
  bytes: Uint8Array;
}

/** What `datasetFromImageFiles` makes: the dataset, and the files it left out with why. */
export interface ImageFilesResult {
  dataset: Dataset;
  skipped: string[];
}

const IMAGE = /\.(png|jpe?g)$/i;

/**
 * Decode `files` into one dataset of `size` x `size` x `channels` uint8 images; classes are the folder names,
 * sorted. Files that are not PNG or JPEG (by name) or sit in no folder are skipped and listed. At least two
 * classes with `minPerClass` images each are needed, else an Error says what was found and how to lay out the folder.
 */
export function datasetFromImageFiles(files: readonly ImageFile[], options: { size: number; channels: 1 | 3; source?: string; minPerClass?: number }): ImageFilesResult {
  const minPerClass = options.minPerClass ?? 1;
  const skipped: string[] = [];
  const byClass = new Map<string, ImageFile[]>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    if (!IMAGE.test(f.path)) skipped.push(`${f.path} (not a .png, .jpg or .jpeg file)`);
    else if (parts.length < 2) skipped.push(`${f.path} (in no class folder)`);
    else {
      const cls = parts[parts.length - 2];
      byClass.set(cls, [...(byClass.get(cls) ?? []), f]);
    }
  }
  const classNames = [...byClass.keys()].sort();
  const counts = classNames.map((c) => `${c}: ${byClass.get(c)!.length}`).join(', ');
  const layout = 'Give one folder per class holding its images, e.g. my-scans/benign/*.png and my-scans/malignant/*.jpg.';
  if (classNames.length < 2) throw new Error(`Own images: found ${classNames.length === 0 ? 'no PNG or JPEG images in class folders' : `only one class (${counts})`}. ${layout}`);
  const small = classNames.filter((c) => byClass.get(c)!.length < minPerClass);
  if (small.length) throw new Error(`Own images: every class needs at least ${minPerClass} images to split into training, validation and test; ${small.map((c) => `${c} has ${byClass.get(c)!.length}`).join(', ')} (all: ${counts}).`);
  const per = options.size * options.size * options.channels;
  const n = classNames.reduce((s, c) => s + byClass.get(c)!.length, 0);
  const data = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  const ids: string[] = [];
  let i = 0;
  classNames.forEach((c, k) => {
    for (const f of [...byClass.get(c)!].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      data.set(convertImage(decodeImage(f.bytes, f.path), options.size, options.channels), i * per);
      labels[i] = k;
      ids.push(f.path);
      i++;
    }
  });
  const dataset = validateDataset({
    images: { data, shape: [n, options.size, options.size, options.channels] },
    labels: { data: labels, shape: [n, 1] },
    task: classNames.length === 2 ? 'binary-class' : 'multi-class',
    classNames,
    source: options.source ?? 'own images',
    ids,
  });
  return { dataset, skipped };
}
