import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../src/data/sets/dataset';
import { vitConfig } from '../src/model/config';
import { checkImagesFit, fitToBackbone } from '../src/data/sets/fit';

function images(h: number, c: number): Dataset {
  return { images: { data: new Uint8Array(2 * h * h * c), shape: [2, h, h, c] }, labels: { data: new Int32Array(2), shape: [2, 1] }, classNames: ['a', 'b'], source: 'toy' } as unknown as Dataset;
}

test('checkImagesFit passes matching images and names both shapes, the stage and the fixes otherwise', () => {
  const config = vitConfig('tiny');
  const s = config.imageSize;
  checkImagesFit(images(s, config.channels), config, 'tpp');
  assert.throws(() => checkImagesFit(images(s + 4, 3), config, 'tpp'), new Error(
    `tpp: toy has images ${s + 4}x${s + 4}x3 but the backbone expects ${s}x${s}x${config.channels}. ` +
      'Use data of that size (e.g. MedMNIST --size 28), a backbone for this size, or pass --convert to resize and convert channels.',
  ));
  assert.throws(() => fitToBackbone(images(s + 4, 3), config), /^Error: data: toy has images/);
  assert.deepEqual(fitToBackbone(images(s + 4, 3), config, true).images.shape, [2, s, s, config.channels]);
});
