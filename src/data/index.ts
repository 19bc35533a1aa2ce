/**
 * The data layer's core in one import: `import { readNpz, batches, split } from './src/data'`.
 * Rooms by role: `formats/` (the file readers: npy, npz, zip, inflate, idx, PNG), `dicom/` (DICOM files, pixel
 * decoding, windowing, folders of series), `sets/` (the Dataset type, splits, batches, augmentation, fitting to a
 * backbone), and `sources/` (MedMNIST's catalogue and byte-level reading, the pool recipes, the data opener's
 * browser-safe part), all of which run in a web page too. Data by name from disk and the network (MedMNIST files,
 * Fashion-MNIST, the image pools, segmentation packs, DICOM folders, download, inspect) is Node: src/io/sources/.
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
export * from './formats/idx';
