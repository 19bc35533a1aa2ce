/**
 * The catalogue of MedMNIST's 2D datasets (MedMNIST v2/v3; Yang et al., Scientific Data 2023), following the
 * fields of `medmnist/info.py` in the MedMNIST repository: flag, modality, task, class names, channels, split
 * sizes, license and the MD5 of each file size (28, 64, 128, 224).
 *
 * Source: every value of `pythonClass`, `task`, `classNames` (the `label` dict in label order), `channels`
 * (`n_channels`), `splitSizes` (`n_samples`), `license` and `md5` (`MD5`, `MD5_64`, `MD5_128`, `MD5_224`) was
 * checked against MedMNIST v3 `info.py`: repository github.com/MedMNIST/MedMNIST, path `medmnist/info.py`,
 * commit 3bb56be69bca38e5f105b21e4d6482b91354d3a4 (2024-09-16), `__version__ = "3.0.2"`; the file is
 * unchanged at the repository's newest commit seen (805b74237fb5bd2db376fd94e50646b6a8905d9d, 2025-01-11).
 * Its URLs are the Zenodo record 10519652 ones that `medmnistUrl` builds (there with `?download=1`).
 * The size-28 MD5s of breastmnist and pneumoniamnist also match the official files bundled in `data/`.
 * So every MD5 is `verified: true`. `modality` and `note` are not fields of `info.py`: they are descriptive
 * only and not checked against it.
 */
import { Task } from '../sets/dataset';

/** The MedMNIST 2D dataset flags (file names without `.npz`). */
export const MEDMNIST_FLAGS = [
  'pathmnist',
  'chestmnist',
  'dermamnist',
  'octmnist',
  'pneumoniamnist',
  'retinamnist',
  'breastmnist',
  'bloodmnist',
  'tissuemnist',
  'organamnist',
  'organcmnist',
  'organsmnist',
] as const;
export type MedMNISTFlag = (typeof MEDMNIST_FLAGS)[number];

/** Image side lengths MedMNIST publishes (28 is MedMNIST v2; 64/128/224 are MedMNIST+ in v3). */
export const MEDMNIST_SIZES = [28, 64, 128, 224] as const;
export type MedMNISTSize = (typeof MEDMNIST_SIZES)[number];

/** An expected MD5 and whether it was checked against MedMNIST's `info.py` (see the file comment). */
export interface Md5Value {
  /** `null` would mean no value known (none in this catalogue). */
  md5: string | null;
  verified: boolean;
}

/** One MedMNIST 2D dataset. */
export interface MedMNISTInfo {
  flag: MedMNISTFlag;
  /** The class name in the `medmnist` Python package, e.g. `BreastMNIST`. */
  pythonClass: string;
  modality: string;
  task: Task;
  /** Class names by label value (multi-label: by label column). */
  classNames: string[];
  channels: 1 | 3;
  /** Examples per official split (as in `info.py`; the same for every image size). */
  splitSizes: { train: number; val: number; test: number };
  license: 'CC BY 4.0' | 'CC BY-NC 4.0';
  md5: Record<MedMNISTSize, Md5Value>;
  /** Anything a user should know about this entry's provenance. */
  note?: string;
}

const v = (md5: string): Md5Value => ({ md5, verified: true });
const ORGANS = ['bladder', 'femur-left', 'femur-right', 'heart', 'kidney-left', 'kidney-right', 'liver', 'lung-left', 'lung-right', 'pancreas', 'spleen'];

/** All 12 MedMNIST 2D datasets, by flag. */
export const MEDMNIST: Readonly<Record<MedMNISTFlag, MedMNISTInfo>> = {
  pathmnist: {
    flag: 'pathmnist',
    pythonClass: 'PathMNIST',
    modality: 'Colon Pathology',
    task: 'multi-class',
    classNames: ['adipose', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium'],
    channels: 3,
    splitSizes: { train: 89996, val: 10004, test: 7180 },
    license: 'CC BY 4.0',
    md5: { 28: v('a8b06965200029087d5bd730944a56c1'), 64: v('55aa9c1e0525abe5a6b9d8343a507616'), 128: v('ac42d08fb904d92c244187169d1fd1d9'), 224: v('2c51a510bcdc9cf8ddb2af93af1eadec') },
  },
  chestmnist: {
    flag: 'chestmnist',
    pythonClass: 'ChestMNIST',
    modality: 'Chest X-Ray',
    task: 'multi-label, binary-class',
    classNames: ['atelectasis', 'cardiomegaly', 'effusion', 'infiltration', 'mass', 'nodule', 'pneumonia', 'pneumothorax', 'consolidation', 'edema', 'emphysema', 'fibrosis', 'pleural', 'hernia'],
    channels: 1,
    splitSizes: { train: 78468, val: 11219, test: 22433 },
    license: 'CC BY 4.0',
    md5: { 28: v('02c8a6516a18b556561a56cbdd36c4a8'), 64: v('9de6cd0b934ebb5b7426cfba5efbae16'), 128: v('db107e5590b27930b62dbaf558aebee3'), 224: v('45bd33e6f06c3e8cdb481c74a89152aa') },
  },
  dermamnist: {
    flag: 'dermamnist',
    pythonClass: 'DermaMNIST',
    modality: 'Dermatoscope',
    task: 'multi-class',
    classNames: [
      'actinic keratoses and intraepithelial carcinoma',
      'basal cell carcinoma',
      'benign keratosis-like lesions',
      'dermatofibroma',
      'melanoma',
      'melanocytic nevi',
      'vascular lesions',
    ],
    channels: 3,
    splitSizes: { train: 7007, val: 1003, test: 2005 },
    license: 'CC BY-NC 4.0',
    md5: { 28: v('0744692d530f8e62ec473284d019b0c7'), 64: v('b70a2f5635c6199aeaa28c31d7202e1f'), 128: v('2defd784463fa5243564e855ed717de1'), 224: v('8974907d8e169bef5f5b96bc506ae45d') },
  },
  octmnist: {
    flag: 'octmnist',
    pythonClass: 'OCTMNIST',
    modality: 'Retinal OCT',
    task: 'multi-class',
    classNames: ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal'],
    channels: 1,
    splitSizes: { train: 97477, val: 10832, test: 1000 },
    license: 'CC BY 4.0',
    md5: { 28: v('c68d92d5b585d8d81f7112f81e2d0842'), 64: v('e229e9440236b774d9f0dfef9d07bdaf'), 128: v('0a97e76651ace45c5d943ee3f65b63ae'), 224: v('abc493b6d529d5de7569faaef2773ba3') },
  },
  pneumoniamnist: {
    flag: 'pneumoniamnist',
    pythonClass: 'PneumoniaMNIST',
    modality: 'Chest X-Ray',
    task: 'binary-class',
    classNames: ['normal', 'pneumonia'],
    channels: 1,
    splitSizes: { train: 4708, val: 524, test: 624 },
    license: 'CC BY 4.0',
    md5: { 28: v('28209eda62fecd6e6a2d98b1501bb15f'), 64: v('8f4eceb4ccffa70c672198ea285246c6'), 128: v('05b46931834c231683c68f40c47b2971'), 224: v('d6a3c71de1b945ea11211b03746c1fe1') },
  },
  retinamnist: {
    flag: 'retinamnist',
    pythonClass: 'RetinaMNIST',
    modality: 'Fundus Camera',
    task: 'ordinal-regression',
    classNames: ['0', '1', '2', '3', '4'],
    channels: 3,
    splitSizes: { train: 1080, val: 120, test: 400 },
    license: 'CC BY 4.0',
    md5: { 28: v('bd4c0672f1bba3e3a89f0e4e876791e4'), 64: v('afda852cc34dcda56f86ad2b2457dbcc'), 128: v('e48e916a24454daf90583d4e6efb1a18'), 224: v('eae7e3b6f3fcbda4ae613ebdcbe35348') },
    note: 'Labels are diabetic-retinopathy grades 0-4 (ordinal), kept as a grade per image.',
  },
  breastmnist: {
    flag: 'breastmnist',
    pythonClass: 'BreastMNIST',
    modality: 'Breast Ultrasound',
    task: 'binary-class',
    classNames: ['malignant', 'normal, benign'],
    channels: 1,
    splitSizes: { train: 546, val: 78, test: 156 },
    license: 'CC BY 4.0',
    md5: { 28: v('750601b1f35ba3300ea97c75c52ff8f6'), 64: v('742edef2a1fd1524b2efff4bd7ba9364'), 128: v('363e4b3f8d712e9b5de15470a2aaadf1'), 224: v('b56378a6eefa9fed602bb16d192d4c8b') },
  },
  bloodmnist: {
    flag: 'bloodmnist',
    pythonClass: 'BloodMNIST',
    modality: 'Blood Cell Microscope',
    task: 'multi-class',
    classNames: ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes(myelocytes, metamyelocytes and promyelocytes)', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'],
    channels: 3,
    splitSizes: { train: 11959, val: 1712, test: 3421 },
    license: 'CC BY 4.0',
    md5: { 28: v('7053d0359d879ad8a5505303e11de1dc'), 64: v('2b94928a2ae4916078ca51e05b6b800b'), 128: v('adace1e0ed228fccda1f39692059dd4c'), 224: v('b718ff6835fcbdb22ba9eacccd7b2601') },
  },
  tissuemnist: {
    flag: 'tissuemnist',
    pythonClass: 'TissueMNIST',
    modality: 'Kidney Cortex Microscope',
    task: 'multi-class',
    classNames: [
      'Collecting Duct, Connecting Tubule',
      'Distal Convoluted Tubule',
      'Glomerular endothelial cells',
      'Interstitial endothelial cells',
      'Leukocytes',
      'Podocytes',
      'Proximal Tubule Segments',
      'Thick Ascending Limb',
    ],
    channels: 1,
    splitSizes: { train: 165466, val: 23640, test: 47280 },
    license: 'CC BY 4.0',
    md5: { 28: v('ebe78ee8b05294063de985d821c1c34b'), 64: v('123ece2eba09d0aa5d698fda57103344'), 128: v('61b955355d7425a89687b06cca3ce0c2'), 224: v('b077128c4a949f0a4eb01517f9037b9c') },
  },
  organamnist: {
    flag: 'organamnist',
    pythonClass: 'OrganAMNIST',
    modality: 'Abdominal CT',
    task: 'multi-class',
    classNames: ORGANS,
    channels: 1,
    splitSizes: { train: 34561, val: 6491, test: 17778 },
    license: 'CC BY 4.0',
    md5: { 28: v('68e3f8846a6bd62f0c9bf841c0d9eacc'), 64: v('2dcccc29b88e6da5a01161ef20cda288'), 128: v('eeae80d0a227a8d099027e1b3cfd3b60'), 224: v('50747347e05c87dd3aaf92c49f9f3170') },
    note: 'Axial view (OrganMNIST_Axial in MedMNIST v1).',
  },
  organcmnist: {
    flag: 'organcmnist',
    pythonClass: 'OrganCMNIST',
    modality: 'Abdominal CT',
    task: 'multi-class',
    classNames: ORGANS,
    channels: 1,
    splitSizes: { train: 12975, val: 2392, test: 8216 },
    license: 'CC BY 4.0',
    md5: { 28: v('b9ceb9546e10131b32923c5bbeaea2b1'), 64: v('3ce34a8724ea6f548e6db4744d03b6a9'), 128: v('773c1f009daa3fe5d9a2a201b2a7ed94'), 224: v('050f5e875dc056f6768abf94ec9995d1') },
    note: 'Coronal view (OrganMNIST_Coronal in MedMNIST v1).',
  },
  organsmnist: {
    flag: 'organsmnist',
    pythonClass: 'OrganSMNIST',
    modality: 'Abdominal CT',
    task: 'multi-class',
    classNames: ORGANS,
    channels: 1,
    splitSizes: { train: 13932, val: 2452, test: 8827 },
    license: 'CC BY 4.0',
    md5: { 28: v('9ab87b696fb54e2a387ebe992d6ed5f1'), 64: v('53a6d115339d874c25e309a994ff46d3'), 128: v('ded0c5fa01a95dc4978b956f613e9b8e'), 224: v('b354719e553fbbb2513d5533f52a4cb1') },
    note: 'Sagittal view (OrganMNIST_Sagittal in MedMNIST v1).',
  },
};

/** Whether `name` is a MedMNIST 2D flag. */
export function isMedMNISTFlag(name: string): name is MedMNISTFlag {
  return (MEDMNIST_FLAGS as readonly string[]).includes(name);
}

/** The catalogue entry for `flag`; throws listing the flags when it is unknown. */
export function medmnistInfo(flag: string): MedMNISTInfo {
  if (!isMedMNISTFlag(flag)) throw new Error(`Unknown MedMNIST dataset "${flag}". Known 2D flags: ${MEDMNIST_FLAGS.join(', ')}.`);
  return MEDMNIST[flag];
}

/** Check a size; throws listing the valid ones. */
export function checkMedMNISTSize(size: number): MedMNISTSize {
  if (!(MEDMNIST_SIZES as readonly number[]).includes(size)) throw new Error(`MedMNIST size ${size} does not exist; use one of ${MEDMNIST_SIZES.join(', ')}.`);
  return size as MedMNISTSize;
}

/** The file name MedMNIST publishes: `breastmnist.npz` for size 28, `breastmnist_64.npz` otherwise. */
export function medmnistFileName(flag: MedMNISTFlag, size: MedMNISTSize = 28): string {
  return size === 28 ? `${flag}.npz` : `${flag}_${size}.npz`;
}

/** The official download URL (MedMNIST v3 Zenodo record 10519652). */
export function medmnistUrl(flag: MedMNISTFlag, size: MedMNISTSize = 28, base = 'https://zenodo.org/records/10519652/files/'): string {
  return `${base}${medmnistFileName(flag, size)}`;
}
