/**
 * Data by name, from disk and the network (Node only: the library core takes datasets and bytes): MedMNIST files,
 * Fashion-MNIST, the image pools, download and inspect. src/index.ts exports these beside `./data/index`.
 */
export * from './medmnist';
export * from './download';
export * from './inspect';
export * from './fashion-mnist';
export * from './pools';
