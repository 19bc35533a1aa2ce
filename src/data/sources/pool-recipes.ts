/**
 * How each image pool is made from its original public archive (`tpp-lab data pool build NAME --from ARCHIVE`,
 * `src/data/sources/pool-build.ts`): where the images sit in the archive, how their classes are named, the size
 * and channels of the pack, and the documented sample. Steps and sources: `docs/pools.md`.
 */
import type { SubsampleSpec } from '../sets/splits';

/** A class: its key in the archive (a folder name, or what `classKey` returns) and its name in the pack. */
export interface PoolClass {
  readonly key: string;
  readonly name: string;
}

/** The recipe of one pool. */
export interface PoolRecipe {
  readonly name: string;
  /** Pack files written, in order (the same as `POOLS[name].files`); images are dealt into them in order. */
  readonly files: readonly string[];
  /** The original archive's file name and where to get it. */
  readonly archive: string;
  readonly url: string;
  /** The layout, in words, for errors and docs (e.g. `PBC_dataset_normal_DIB/<class>/*.jpg`). */
  readonly layout: string;
  /**
   * Matches the path of an image inside the archive: `root` is any folders above the layout (kept out of the
   * pack), `path` the file name stored in the pack, `key` the class folder.
   */
  readonly image: RegExp;
  /** The class key of an image, when it is not the folder alone (Kermany: bacteria or virus, from the file name). */
  readonly classKey?: (folder: string, path: string) => string;
  /** The classes in label order, fixed or read from text files under the root (`read('wnids.txt')`). */
  readonly classes: readonly PoolClass[] | ((read: (file: string) => string) => PoolClass[]);
  /** Square side of the pack's images and their channels (1: ITU-R 601 luma; 3: RGB). */
  readonly size: number;
  readonly channels: 1 | 3;
  /** The documented sample (seed 0), unless `--all`; none: every image. */
  readonly sample?: SubsampleSpec;
  /** Shuffle the images (seed 0) before dealing them into `files` (otherwise they stay sorted by class, then path). */
  readonly shuffle?: boolean;
  /** The root to take when the archive holds the layout under several folders (e.g. the 224 px copy of the knee set). */
  readonly preferRoot?: string;
  /** Also store `orig_size` (int32 `[N, 2]`: the source width and height), as the shared Kermany pack does. */
  readonly origSize?: boolean;
}

/** Any folders above the layout, then the layout itself. */
const ROOT = '^(?<root>(?:[^/]+/)*)';

/** Tiny-ImageNet class names: `"<wnid> <first name in words.txt>"`, in the (sorted) order of `wnids.txt`. */
function tinyImagenetClasses(read: (file: string) => string): PoolClass[] {
  const words = new Map<string, string>();
  for (const line of read('tiny-imagenet-200/words.txt').split('\n')) {
    const [wnid, names] = line.split('\t');
    if (wnid && names) words.set(wnid.trim(), names.split(',')[0].trim());
  }
  const wnids = read('tiny-imagenet-200/wnids.txt').split('\n').map((l) => l.trim()).filter(Boolean).sort();
  return wnids.map((wnid) => {
    const name = words.get(wnid);
    if (!name) throw new Error(`tiny-imagenet-200/words.txt has no line for ${wnid} (listed in wnids.txt): the archive is damaged; download it again.`);
    return { key: wnid, name: `${wnid} ${name}` };
  });
}

export const POOL_RECIPES: Readonly<Record<string, PoolRecipe>> = Object.freeze({
  tinyimagenet: {
    name: 'tinyimagenet',
    files: ['tinyimagenet200_grey64_0.npz', 'tinyimagenet200_grey64_1.npz'],
    archive: 'tiny-imagenet-200.zip',
    url: 'http://cs231n.stanford.edu/tiny-imagenet-200.zip',
    layout: 'tiny-imagenet-200/train/<wnid>/images/*.JPEG, with tiny-imagenet-200/wnids.txt and words.txt',
    image: new RegExp(`${ROOT}(?<path>tiny-imagenet-200/train/(?<key>[^/]+)/images/[^/]+\\.(?:JPEG|jpeg|jpg))$`),
    classes: tinyImagenetClasses,
    size: 64,
    channels: 1,
    sample: { perClass: 200 },
    shuffle: true,
  },
  pbc: {
    name: 'pbc',
    files: ['pbc_blood_rgb32.npz'],
    archive: 'PBC_dataset_normal_DIB.zip',
    url: 'https://data.mendeley.com/datasets/snkd93bnjr/1',
    layout: 'PBC_dataset_normal_DIB/<class>/*.jpg',
    image: new RegExp(`${ROOT}(?<path>PBC_dataset_normal_DIB/(?<key>[^/]+)/[^/]+\\.(?:jpg|jpeg|JPG|JPEG))$`),
    classes: ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'].map((c) => ({ key: c, name: c })),
    size: 32,
    channels: 3,
  },
  kermany: {
    name: 'kermany',
    files: ['kermany_cxr_grey64.npz'],
    archive: 'ChestXRay2017.zip',
    url: 'https://data.mendeley.com/datasets/rscbjbr9sj/2',
    layout: 'chest_xray/train/{NORMAL,PNEUMONIA}/*.jpeg (pneumonia images named *_bacteria_* or *_virus_*)',
    image: new RegExp(`${ROOT}(?<path>train/(?<key>[^/]+)/[^/]+\\.(?:jpeg|jpg|JPEG|JPG))$`),
    classKey: (folder, path) => {
      if (folder !== 'PNEUMONIA') return folder;
      const file = path.slice(path.lastIndexOf('/') + 1);
      if (file.includes('bacteria')) return 'PNEUMONIA/bacteria';
      if (file.includes('virus')) return 'PNEUMONIA/virus';
      return 'PNEUMONIA/?';
    },
    classes: [
      { key: 'NORMAL', name: 'normal' },
      { key: 'PNEUMONIA/bacteria', name: 'pneumonia_bacteria' },
      { key: 'PNEUMONIA/virus', name: 'pneumonia_virus' },
    ],
    size: 64,
    channels: 1,
    preferRoot: 'chest_xray',
    origSize: true,
  },
  knee: {
    name: 'knee',
    files: ['knee_oa_kl.npz'],
    // The download's name on Mendeley may differ: any zip holding the kneeKL224 folders in this layout works.
    archive: 'KneeXrayData.zip',
    url: 'https://data.mendeley.com/datasets/56rmx5bjcr/1',
    layout: 'kneeKL224/{train,val,test}/<grade 0-4>/*.png (auto_test is left out)',
    image: new RegExp(`${ROOT}(?<path>(?:train|val|test)/(?<key>[^/]+)/[^/]+\\.(?:png|PNG))$`),
    classes: ['0', '1', '2', '3', '4'].map((g) => ({ key: g, name: `KL${g}` })),
    size: 64,
    channels: 1,
    sample: { fraction: 0.245 },
    preferRoot: 'kneeKL224',
  },
});

/** Is `name` a pool that `tpp-lab data pool build` can make? */
export function isPoolRecipe(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(POOL_RECIPES, name);
}

/** The command that builds a pool from its original archive, for messages (`tpp-lab data pool build pbc --from ...`). */
export function poolBuildCommand(name: string): string {
  const r = POOL_RECIPES[name];
  return `tpp-lab data pool build ${r ? name : 'NAME'} --from ${r ? r.archive : 'ARCHIVE'}`;
}
