/**
 * A shared TPP adapter (src/train/tpp-shared.ts): reused only when every stored setting matches, taken from a
 * ready-made file when the shared folder has none, and trained again (naming what differed) otherwise.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { vitConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { peftConfig } from '../src/peft/index';
import { openBackbone } from '../src/io/backbone';
import { loadMedMNISTSplits } from '../src/io/sources/medmnist';
import { normalizationFrom } from '../src/train/common';
import { readStudyPlan } from '../src/grid/study-plan-file';
import { settingsDiff } from '../src/train/settings-fingerprint';
import { capImages, limit } from '../src/data/sets/dataset';
import { sharedTppAdapter, tppSettings } from '../src/train/tpp-shared';
import { brightness, ROOT, tempDir } from './helpers';
import { fileBytes, stageFiles } from '../src/io/stage-files';

before(async () => {
  await initBackend({ warn: () => {} });
});

describe('sharedTppAdapter', () => {
  const images = brightness(32, 1);
  const normalization = { mean: [0.5], std: [0.25] };

  test('trains once, reuses a match, uses a ready file, and retrains when a setting or the images differ', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 3 });
    const dir = tempDir();
    const base = { backbone, method: peftConfig('lora', { rank: 2 }), pretext: 'simsiam' as const, images, normalization, epochs: 1, batchSize: 16, seed: 0 };

    const first = await sharedTppAdapter({ ...base, files: stageFiles(path.join(dir, 'a')) });
    assert.equal(first.source, 'trained');
    assert.match(first.note, /no readable adapter there/);
    first.trained!.peft.dispose();
    const stored = (await readCheckpointInfo(first.adapterPath)).metadata.tppSettings as Record<string, unknown>;
    assert.equal(stored.epochs, 1);
    assert.equal((stored.images as { count: number }).count, 32);

    const again = await sharedTppAdapter({ ...base, files: stageFiles(path.join(dir, 'a')) });
    assert.equal(again.source, 'reused');
    assert.equal(again.adapterPath, first.adapterPath);
    assert.equal(again.trained, undefined);

    // Another folder with no adapter: the first one, offered as ready-made, is used.
    const ready = await sharedTppAdapter({ ...base, files: stageFiles(path.join(dir, 'b')), ready: [first.adapter] });
    assert.equal(ready.source, 'ready');
    assert.equal(ready.adapterPath, first.adapterPath);
    assert.equal(fs.existsSync(path.join(dir, 'b', 'adapter.safetensors')), false);

    // Other epochs: the stored adapter does not match, and the note says which setting differed.
    const longer = await sharedTppAdapter({ ...base, epochs: 2, files: stageFiles(path.join(dir, 'a')), ready: [first.adapter] });
    assert.equal(longer.source, 'trained');
    assert.match(longer.note, /epochs: 1 → 2/);
    longer.trained!.peft.dispose();

    // The same settings on other images (the first 16 of them) do not match either.
    const fewer = await sharedTppAdapter({ ...base, epochs: 2, images: limit(images, 16), files: stageFiles(path.join(dir, 'a')) });
    assert.equal(fewer.source, 'trained');
    assert.match(fewer.note, /images\.count: 32 → 16/);
    assert.match(fewer.note, /images\.fingerprint differs/);
    assert.doesNotMatch(fewer.note, /sha256/);
    fewer.trained!.peft.dispose();

    const forced = await sharedTppAdapter({ ...base, epochs: 2, images: limit(images, 16), files: stageFiles(path.join(dir, 'a')), recompute: true });
    assert.equal(forced.source, 'trained');
    assert.match(forced.note, /recompute was asked for/);
    forced.trained!.peft.dispose();
    backbone.dispose();
  });
});

describe('the ready-made TPP adapter in data/adapters-imagenet28', () => {
  test('matches the settings notebooks 05, 07 and 08 ask for by default (else: rerun scripts/make-ready-adapters.ts)', async () => {
    const plan = readStudyPlan(path.join(ROOT, 'docs', 'results', 'study-2026-11-28', 'plan.json'));
    const { vit, metadata, paths } = await openBackbone('imagenet28');
    const splits = await loadMedMNISTSplits('breastmnist');
    const wanted = await tppSettings({
      backbone: vit, method: peftConfig('lora', { rank: 4 }), pretext: 'mae', decoder: fileBytes(paths.decoder!), images: capImages(splits.train, plan.tpp.images),
      normalization: normalizationFrom(metadata, splits.train), epochs: plan.tpp.epochs, lr: plan.tpp.lr, seed: 0,
    });
    const file = path.join(ROOT, 'data', 'adapters-imagenet28', 'tpp-breastmnist-lora4.safetensors');
    const stored = (await readCheckpointInfo(file)).metadata.tppSettings;
    assert.deepEqual(settingsDiff(stored, wanted), []);
    vit.dispose();
  });
});
