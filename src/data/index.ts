/**
 * The data layer in one import: `import { loadMedMNIST, batches, split } from './src/data'`.
 * Rooms by role: `formats/` (the file readers: npy, npz, zip, inflate, idx, PNG), `dicom/` (DICOM files, pixel
 * decoding, windowing, folders of series), `sets/` (the Dataset type, splits, batches, augmentation, fitting to a
 * backbone) and `sources/` (data by name: MedMNIST, the image pools, segmentation packs, download, inspect).
 */
export * from './sets/dataset';
export * from './sets/random';
export * from './sets/splits';
export * from './sets/concat';
export * from './sets/augment';
export * from './sets/batches';
export * from './formats/npy';
export * from './formats/npz';
export * from './sources/medmnist-info';
export * from './sources/medmnist';
export * from './sources/download';
export * from './sources/inspect';
export * from './formats/idx';
export * from './sources/pools';
