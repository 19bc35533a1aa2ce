/** MedMNIST catalogue and loader, on the bundled official files and small fixtures. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { classCounts } from '../src/data/sets/dataset';
import { loadMedMNIST, loadMedMNISTSplits, defaultCacheDir, medmnistSplitsFromBytes } from '../src/io/sources/medmnist';
import { MEDMNIST, MEDMNIST_FLAGS, medmnistFileName, medmnistUrl } from '../src/data/sources/medmnist-info';

const published = {
  breastmnist: { sizes: { train: 546, val: 78, test: 156 }, counts: { train: [147, 399], val: [21, 57], test: [42, 114] } },
  pneumoniamnist: { sizes: { train: 4708, val: 524, test: 624 }, counts: { train: [1214, 3494], val: [135, 389], test: [234, 390] } },
};

describe('bundled MedMNIST files match the published shapes and class counts', () => {
  for (const [flag, want] of Object.entries(published)) {
    test(flag, async () => {
      const splits = await loadMedMNISTSplits(flag);
      for (const split of ['train', 'val', 'test'] as const) {
        const ds = splits[split];
        const n = want.sizes[split];
        assert.deepEqual(ds.images.shape, [n, 28, 28, 1]);
        assert.ok(ds.images.data instanceof Uint8Array);
        assert.deepEqual(ds.labels.shape, [n, 1]);
        assert.deepEqual(classCounts(ds), want.counts[split]);
        assert.equal(ds.task, 'binary-class');
        assert.equal(ds.path, path.resolve(__dirname, '..', 'data', `${flag}.npz`));
        assert.equal(ds.source, `medmnist:${flag}@28/${split}`);
      }
      assert.equal(splits.train.modality, flag === 'breastmnist' ? 'Breast Ultrasound' : 'Chest X-Ray');
    });
  }

  test('one split with metadata; a path works like the flag', async () => {
    const test1 = await loadMedMNIST('breastmnist', { split: 'test' });
    assert.deepEqual(test1.classNames, ['malignant', 'normal, benign']);
    assert.equal(test1.info?.license, 'CC BY 4.0');
    const byPath = await loadMedMNIST(path.join(__dirname, '..', 'data', 'breastmnist.npz'), { split: 'test' });
    assert.equal(byPath.flag, 'breastmnist');
    assert.deepEqual(byPath.images.data, test1.images.data);
  });

  test('the bytes of the file (a web page\'s fetch) give the same datasets as the file by flag', async () => {
    const fromDisk = await loadMedMNISTSplits('breastmnist');
    const fromBytes = await medmnistSplitsFromBytes(fs.readFileSync(path.join(__dirname, '..', 'data', 'breastmnist.npz')), 'breastmnist');
    for (const split of ['train', 'val', 'test'] as const) {
      const { path: _a, ...disk } = fromDisk[split];
      const { path: b, ...bytes } = fromBytes[split];
      assert.equal(b, 'breastmnist.npz');
      assert.deepEqual(bytes, disk);
    }
    await assert.rejects(() => medmnistSplitsFromBytes(new Uint8Array(10), 'breastmnist'), /breastmnist\.npz/);
  });
});

describe('MedMNIST catalogue', () => {
  test('lists all 12 2D datasets with consistent fields', () => {
    assert.equal(MEDMNIST_FLAGS.length, 12);
    for (const flag of MEDMNIST_FLAGS) {
      const info = MEDMNIST[flag];
      assert.equal(info.flag, flag);
      assert.ok(info.classNames.length >= 2, flag);
      assert.ok(info.channels === 1 || info.channels === 3, flag);
      if (info.task === 'binary-class') assert.equal(info.classNames.length, 2, flag);
      for (const size of [28, 64, 128, 224] as const) {
        const m = info.md5[size];
        assert.match(m.md5 ?? '', /^[0-9a-f]{32}$/, `${flag} ${size}`);
        assert.equal(m.verified, true, `${flag} ${size} verified flag`);
      }
    }
    assert.equal(MEDMNIST.chestmnist.task, 'multi-label, binary-class');
    assert.equal(MEDMNIST.chestmnist.classNames.length, 14);
    assert.equal(MEDMNIST.retinamnist.task, 'ordinal-regression');
    assert.equal(MEDMNIST.dermamnist.license, 'CC BY-NC 4.0');
    assert.equal(MEDMNIST.breastmnist.md5[28].md5, '750601b1f35ba3300ea97c75c52ff8f6');
    // Spot checks against MedMNIST v3.0.2 medmnist/info.py (commit 3bb56be69bca38e5f105b21e4d6482b91354d3a4).
    assert.equal(new Set(MEDMNIST_FLAGS.flatMap((f) => ([28, 64, 128, 224] as const).map((s) => MEDMNIST[f].md5[s].md5))).size, 48);
    assert.equal(MEDMNIST.organamnist.md5[28].md5, '68e3f8846a6bd62f0c9bf841c0d9eacc');
    assert.equal(MEDMNIST.chestmnist.md5[224].md5, '45bd33e6f06c3e8cdb481c74a89152aa');
    assert.equal(MEDMNIST.organsmnist.md5[128].md5, 'ded0c5fa01a95dc4978b956f613e9b8e');
    assert.deepEqual(MEDMNIST.organamnist.splitSizes, { train: 34561, val: 6491, test: 17778 });
    assert.deepEqual(MEDMNIST.organcmnist.splitSizes, { train: 12975, val: 2392, test: 8216 });
    assert.deepEqual(MEDMNIST.organsmnist.splitSizes, { train: 13932, val: 2452, test: 8827 });
    assert.equal(medmnistFileName('pathmnist', 64), 'pathmnist_64.npz');
    assert.equal(medmnistUrl('breastmnist'), 'https://zenodo.org/records/10519652/files/breastmnist.npz');
  });
});

describe('loader paths', () => {
  test('an RGB multi-label file without a catalogue entry: task and classes inferred, channels-last', async () => {
    const file = path.join(__dirname, 'fixtures', 'npz', 'tiny_rgb_multilabel.npz');
    const expected = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'npz', 'expected.json'), 'utf8')).files['tiny_rgb_multilabel.npz'];
    const ds = await loadMedMNIST(file, { split: 'val' });
    assert.equal(ds.flag, null);
    assert.deepEqual(ds.images.shape, [2, 4, 4, 3]);
    assert.deepEqual(Array.from(ds.images.data), expected.val_images.values);
    assert.deepEqual(ds.labels.shape, [2, 3]);
    assert.deepEqual(Array.from(ds.labels.data), expected.val_labels.values);
    assert.equal(ds.task, 'multi-label, binary-class');
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
  });

  test('the cache folder is searched after the bundled one, and a missing file says how to get it', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-cache-'));
    try {
      await assert.rejects(
        loadMedMNIST('breastmnist', { size: 64, cacheDir: cache }),
        new RegExp(`breastmnist_64\\.npz is not in .* nor in the cache ${cache}\\. Get it with \`npx tpp-lab data download breastmnist --size 64\` --cache ${cache}, or place the file in ${cache}\\.`),
      );
      fs.copyFileSync(path.join(__dirname, '..', 'data', 'breastmnist.npz'), path.join(cache, 'breastmnist_64.npz'));
      const ds = await loadMedMNIST('breastmnist', { size: 64, cacheDir: cache, split: 'val' });
      assert.equal(ds.path, path.join(cache, 'breastmnist_64.npz'));
      assert.equal(ds.source, 'medmnist:breastmnist@64/val');
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test('unknown flags, sizes and splits are clear errors', async () => {
    await assert.rejects(loadMedMNIST('nosuchmnist'), /Unknown MedMNIST dataset "nosuchmnist"\. Known 2D flags: pathmnist, chestmnist/);
    await assert.rejects(loadMedMNIST('breastmnist', { size: 32 as 28 }), /MedMNIST size 32 does not exist; use one of 28, 64, 128, 224\./);
    await assert.rejects(loadMedMNIST('breastmnist', { split: 'dev' as 'val' }), /Unknown split "dev"; use one of train, val, test\./);
  });

  test('default cache folder follows TPP_LAB_CACHE', () => {
    const saved = process.env.TPP_LAB_CACHE;
    try {
      process.env.TPP_LAB_CACHE = '/tmp/somewhere';
      assert.equal(defaultCacheDir(), '/tmp/somewhere/medmnist');
      delete process.env.TPP_LAB_CACHE;
      assert.equal(defaultCacheDir(), path.join(os.homedir(), '.cache', 'tpp-lab', 'medmnist'));
    } finally {
      if (saved === undefined) delete process.env.TPP_LAB_CACHE;
      else process.env.TPP_LAB_CACHE = saved;
    }
  });
});
