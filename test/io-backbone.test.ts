import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../src/backend';
import { backbonePaths, BUNDLED_BACKBONES, openBackbone } from '../src/io/backbone';
import { backboneFingerprint } from '../src/model/fingerprint';
import { ROOT } from './helpers';

test('bundled backbones are selectable by name, with their decoders, and carry their pre-training pool in the metadata', async () => {
  await initBackend({ warn: () => {} });
  assert.deepEqual(Object.keys(BUNDLED_BACKBONES), ['fashion28', 'imagenet28', 'imagenet64', 'imagenet28-small7']);
  assert.equal(backbonePaths('imagenet28').backbone, path.join(ROOT, 'data', 'backbone-imagenet28', 'backbone.safetensors'));
  assert.equal(backbonePaths('imagenet28').decoder, path.join(ROOT, 'data', 'backbone-imagenet28', 'decoder.safetensors'));
  assert.equal(backbonePaths('fashion28').backbone, backbonePaths(undefined).backbone);
  const { vit, metadata } = await openBackbone('imagenet28');
  try {
    assert.equal(metadata.data, 'pool:tinyimagenet/train (converted)');
    assert.deepEqual([vit.config.imageSize, vit.config.channels, vit.config.patchSize, vit.config.dim], [28, 1, 7, 64]);
    // The fingerprint its README states.
    assert.equal(await backboneFingerprint(vit), 'sha256:1b3973db99efa499430dd27d5ff003a7a197e188a4874cab3c6189b29f5f583e');
  } finally {
    vit.dispose();
  }
  const big = await openBackbone('imagenet64');
  try {
    assert.equal(big.metadata.data, 'pool:tinyimagenet/train');
    assert.ok(big.paths.decoder, 'imagenet64 ships its MAE decoder (TPP needs it)');
    assert.deepEqual([big.vit.config.imageSize, big.vit.config.channels, big.vit.config.patchSize, big.vit.config.dim], [64, 1, 8, 64]);
    assert.equal(await backboneFingerprint(big.vit), 'sha256:aad1b4bc752dc1bc1e89692e436cc2034ff62b78819186be563efa6d5fefd9f6');
  } finally {
    big.vit.dispose();
  }
  const wide = await openBackbone('imagenet28-small7');
  try {
    // The capacity axis: imagenet28's data and patch size, 5.7x its parameters.
    assert.equal(wide.metadata.data, 'pool:tinyimagenet/train (converted)');
    assert.ok(wide.paths.decoder, 'imagenet28-small7 ships its MAE decoder (TPP needs it)');
    assert.deepEqual([wide.vit.config.imageSize, wide.vit.config.channels, wide.vit.config.patchSize, wide.vit.config.dim, wide.vit.config.depth], [28, 1, 7, 128, 6]);
    assert.equal(await backboneFingerprint(wide.vit), 'sha256:46a6f0230168e715c2a397939b67bd2c447ceb9dfddd4481f56f8006e5f8542b');
  } finally {
    wide.vit.dispose();
  }
  assert.throws(() => backbonePaths('imagenet99'), /No backbone at imagenet99.*or a bundled name \(fashion28, imagenet28, imagenet64, imagenet28-small7\)/);
});
