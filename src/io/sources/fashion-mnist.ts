/**
 * Fashion-MNIST, our non-medical pre-training pool: a stand-in for ImageNet that keeps the TPP question honest (the
 * bundled backbone has never seen a medical image). Debian ships it: `apt-get install dataset-fashion-mnist` →
 * /usr/share/datasets/fashion-mnist. The IDX decoding is src/data/formats/idx.ts; this file reads the folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodeIdxU8 } from '../../data/formats/idx';
import { Dataset, validateDataset } from '../../data/sets/dataset';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Read an IDX file of unsigned bytes (`.gz` or plain): returns the dims and the values. */
export function readIdxU8(file: string): { shape: number[]; data: Uint8Array } {
  return decodeIdxU8(fs.readFileSync(file), file);
}

/** Fashion-MNIST's `train` (60,000) or `test` (10,000) split as a 28x28x1 multi-class Dataset. */
export function loadFashionMNIST(split: 'train' | 'test' = 'train', dir = FASHION_MNIST_DIR): Dataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = path.join(dir, `${prefix}-images-idx3-ubyte.gz`);
  if (!fs.existsSync(imagesFile)) {
    throw new Error(`Fashion-MNIST not found at ${dir}. Install it with \`sudo apt-get install dataset-fashion-mnist\` (Debian/Ubuntu), or put the four *-idx*-ubyte.gz files in a folder and pass it.`);
  }
  const images = readIdxU8(imagesFile);
  const labels = readIdxU8(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const n = images.shape[0];
  return validateDataset({
    images: { data: images.data, shape: [n, images.shape[1], images.shape[2], 1] },
    labels: { data: Int32Array.from(labels.data), shape: [n, 1] },
    task: 'multi-class',
    classNames: FASHION_MNIST_CLASSES,
    source: `fashion-mnist/${split}`,
    modality: 'natural images (clothing photos)',
  });
}
