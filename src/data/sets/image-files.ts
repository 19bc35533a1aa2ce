/**
 * A labelled dataset from image files given as bytes with their paths (a folder dropped into a web page, or read
 * from disk), labelled by the name of the folder each image sits in: `scans/benign/a.png` is class "benign". PNG and
 * JPEG images are decoded, DICOM files (`.dcm`, or any file with the Part 10 preamble) read by the library's own
 * reader and windowed as the CLI's DICOM folder reader does; then every image is converted as the image pools are
 * (grey by luma, centre square, area resize: `convertImage`), so a participant's own images meet a backbone the way
 * the bundled data do.
 */
import { readDicom } from '../dicom/dicom';
import { DICOM_DEFAULTS, toUnitImage } from '../dicom/dicom-window';
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
const DICOM = /\.dcm$/i;

/** An image as `convertImage` takes it: `[height, width, channels]` uint8. */
type Pixels = { width: number; height: number; channels: 1 | 3; data: Uint8Array };

/**
 * A DICOM file by name (`.dcm`) or by its Part 10 preamble (`DICM` at byte 128): a series' files often have no
 * extension.
 */
export function isDicomFile(f: ImageFile): boolean {
  const b = f.bytes;
  return DICOM.test(f.path) || (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d);
}

/**
 * A DICOM file's pixels as the CLI's DICOM folder reader takes them (`readDicom`, then `toUnitImage` with its
 * defaults: the file's window, the first frame of a multi-frame file), in its own channels (grey, or RGB), on 0..255.
 */
export async function decodeDicomImage(bytes: Uint8Array): Promise<Pixels> {
  const img = await readDicom(bytes);
  const channels = img.shape[3] === 3 ? 3 : 1;
  const unit = toUnitImage(img, DICOM_DEFAULTS.frame, DICOM_DEFAULTS.window, channels);
  const data = new Uint8Array(unit.length);
  for (let i = 0; i < unit.length; i++) data[i] = Math.round(unit[i] * 255);
  return { width: img.columns, height: img.rows, channels, data };
}

/**
 * Decode `files` into one dataset of `size` x `size` x `channels` uint8 images; classes are the folder names,
 * sorted, and within a class files go in path order. Files that are neither PNG, JPEG (by name) nor DICOM, sit in
 * no folder, or cannot be decoded are skipped and listed with the reason. At least two classes with `minPerClass`
 * images each are needed, else an Error says what was found and how to lay out the folder.
 */
export async function datasetFromImageFiles(files: readonly ImageFile[], options: { size: number; channels: 1 | 3; source?: string; minPerClass?: number }): Promise<ImageFilesResult> {
  const minPerClass = options.minPerClass ?? 1;
  const skipped: string[] = [];
  const byClass = new Map<string, { path: string; pixels: Uint8Array }[]>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    const kind = IMAGE.test(f.path) ? 'image' : isDicomFile(f) ? 'dicom' : null;
    if (!kind) skipped.push(`${f.path} (not a .png, .jpg, .jpeg or DICOM file)`);
    else if (parts.length < 2) skipped.push(`${f.path} (in no class folder)`);
    else {
      let pixels: Uint8Array;
      try {
        pixels = convertImage(kind === 'dicom' ? await decodeDicomImage(f.bytes) : decodeImage(f.bytes, f.path), options.size, options.channels);
      } catch (e) {
        skipped.push(`${f.path} (cannot be decoded: ${e instanceof Error ? e.message : String(e)})`);
        continue;
      }
      const cls = parts[parts.length - 2];
      byClass.set(cls, [...(byClass.get(cls) ?? []), { path: f.path, pixels }]);
    }
  }
  const classNames = [...byClass.keys()].sort();
  const counts = classNames.map((c) => `${c}: ${byClass.get(c)!.length}`).join(', ');
  const layout = 'Give one folder per class holding its images, e.g. my-scans/benign/*.png and my-scans/malignant/*.jpg, or a DICOM series per class (my-scans/benign/*.dcm).';
  const left = skipped.length ? ` Skipped ${skipped.length} file(s), e.g. ${skipped[0]}.` : '';
  if (classNames.length < 2) throw new Error(`Own images: found ${classNames.length === 0 ? 'no usable PNG, JPEG or DICOM images in class folders' : `only one class (${counts})`}.${left} ${layout}`);
  const small = classNames.filter((c) => byClass.get(c)!.length < minPerClass);
  if (small.length) throw new Error(`Own images: every class needs at least ${minPerClass} images to split into training, validation and test; ${small.map((c) => `${c} has ${byClass.get(c)!.length}`).join(', ')} (all: ${counts}).${left}`);
  const per = options.size * options.size * options.channels;
  const n = classNames.reduce((s, c) => s + byClass.get(c)!.length, 0);
  const data = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  const ids: string[] = [];
  let i = 0;
  classNames.forEach((c, k) => {
    for (const f of [...byClass.get(c)!].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      data.set(f.pixels, i * per);
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
