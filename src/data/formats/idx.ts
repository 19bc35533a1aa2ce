/**
 * IDX files (the MNIST family's format, optionally gzipped) and Fashion-MNIST, our non-medical pre-training
 * pool: a stand-in for ImageNet that keeps the TPP question honest (the bundled backbone has never seen a
 * medical image). Debian ships it: `apt-get install dataset-fashion-mnist` → /usr/share/datasets/fashion-mnist.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset, validateDataset } from '../sets/dataset';
import { gunzip } from './inflate';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Read an IDX file of unsigned bytes (`.gz` or plain): returns the dims and the values. */
export function readIdxU8(file: string): { shape: number[]; data: Uint8Array } {
  let bytes: Uint8Array = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzip(bytes);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${file} is not an IDX file (bad magic number).`);
  if (bytes[2] !== 0x08) throw new Error(`${file}: IDX type 0x${bytes[2].toString(16)} is not unsigned bytes (0x08).`);
  const rank = bytes[3];
  const shape: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== count) throw new Error(`${file}: header says ${count} values but the file holds ${bytes.length - offset}; is it truncated?`);
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count) };
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
