/**
 * The data layer in one import: `import { loadMedMNIST, batches, split } from './src/data'`.
 * Files: `dataset.ts` (the Dataset type), `splits.ts`, `batches.ts`, `augment.ts`, `random.ts`,
 * `medmnist.ts` + `medmnist-info.ts`, `download.ts`, `inspect.ts`, and the readers `npz.ts`, `npy.ts`, `zip.ts`.
 */
export * from './dataset';
export * from './random';
export * from './splits';
export * from './concat';
export * from './augment';
export * from './batches';
export * from './npy';
export * from './npz';
export * from './medmnist-info';
export * from './medmnist';
export * from './download';
export * from './inspect';
export * from './idx';
export * from './pools';
