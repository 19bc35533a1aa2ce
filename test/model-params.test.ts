/**
 * The parameter store (src/model/params.ts) and the op-site list (src/model/sites.ts): seeded inits keyed by
 * (seed, name), one naming scheme, clear errors; the sites a forward pass's hooks see are exactly the listed ones,
 * and every model part builds its block parameters from the same list.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS, vitConfig } from '../src/model/config';
import { normal, sincosPosEmbed, truncatedNormal, uniform } from '../src/model/init';
import { createMAE, DECODER_PRESETS } from '../src/model/mae';
import { ParamStore, TRUNC_NORMAL_02 } from '../src/model/params';
import { blockSites, vitOpSites } from '../src/model/sites';
import { createViT } from '../src/model/vit';

before(async () => {
  await initBackend({ warn: () => {} });
});

const values = (v: tf.Tensor) => v.dataSync() as Float32Array;

describe('ParamStore', () => {
  test('each init rule gives the seeded values of init.ts, keyed by the parameter name', () => {
    const s = new ParamStore('test', 7);
    assert.deepEqual(values(s.add('a', [3, 4], TRUNC_NORMAL_02)), truncatedNormal(12, 0.02, 7, 'a'));
    assert.deepEqual(values(s.add('b', [5], { kind: 'normal', std: 0.5 })), normal(5, 0.5, 7, 'b'));
    assert.deepEqual(values(s.add('c', [2, 3], { kind: 'uniform', limit: 0.3 })), uniform(6, 0.3, 7, 'c'));
    assert.deepEqual(values(s.add('d', [4], { kind: 'ones' })), new Float32Array(4).fill(1));
    assert.deepEqual(values(s.add('e', [4], { kind: 'zeros' })), new Float32Array(4));
    const pos = sincosPosEmbed(2, 4);
    assert.deepEqual(values(s.add('f', [1, 5, 4], { kind: 'values', values: pos }, { trainable: false })), pos);
    assert.deepEqual(values(s.add('g', [3], TRUNC_NORMAL_02, { initKey: 'a' })), truncatedNormal(3, 0.02, 7, 'a'));
    assert.deepEqual([...s.params.keys()], ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.deepEqual([...s.trainable().keys()], ['a', 'b', 'c', 'd', 'e', 'g']);
    assert.equal(s.numParameters(), 12 + 5 + 6 + 4 + 4 + 20 + 3);
    assert.deepEqual(s.get('a').shape, [3, 4]);
    s.dispose();
    assert.equal(s.params.size, 0);
  });

  test('a value does not depend on which other parameters exist or their order', () => {
    const one = new ParamStore('one', 3);
    one.add('x', [16], TRUNC_NORMAL_02);
    const two = new ParamStore('two', 3);
    two.add('other', [100], TRUNC_NORMAL_02);
    two.add('x', [16], TRUNC_NORMAL_02);
    assert.deepEqual(values(one.get('x')), values(two.get('x')));
    one.dispose();
    two.dispose();
  });

  test('addLinear and addNorm name, shape and lay out their parameters the timm way', () => {
    const s = new ParamStore('test', 0);
    s.addLinear('fc', 3, 5);
    s.addLinear('patch', 12, 4, { kind: 'uniform', limit: 0.1 }, { layout: 'patch' });
    s.addNorm('ln', 5);
    const shapes = Object.fromEntries([...s.params].map(([n, v]) => [n, `${v.shape} ${s.layouts.get(n)}`]));
    assert.deepEqual(shapes, {
      'fc.weight': '3,5 linear', 'fc.bias': '5 plain', 'patch.weight': '12,4 patch', 'patch.bias': '4 plain', 'ln.weight': '5 plain', 'ln.bias': '5 plain',
    });
    assert.deepEqual(values(s.get('fc.bias')), new Float32Array(5));
    assert.deepEqual(values(s.get('ln.weight')), new Float32Array(5).fill(1));
    s.dispose();
  });

  test('errors name the problem: a duplicate name, an unknown name, values of the wrong size', () => {
    const s = new ParamStore('MAE decoder', 0);
    s.add('mask_token', [1, 1, 4], TRUNC_NORMAL_02);
    assert.throws(() => s.add('mask_token', [4], TRUNC_NORMAL_02), new Error('MAE decoder: parameter "mask_token" is created twice.'));
    assert.throws(() => s.get('mask'), new Error('MAE decoder has no parameter "mask"; it has e.g. mask_token, ...'));
    assert.throws(() => s.add('p', [2, 3], { kind: 'values', values: new Float32Array(5) }), /init values for "p" have 5 numbers; the shape needs 6\./);
    s.dispose();
  });
});

describe('op sites', () => {
  test('vitOpSites lists every linear and norm in forward order with its shape', () => {
    const c = VIT_PRESETS.tiny; // dim 32, mlp 64, depth 2, patch 7, 1 channel
    const sites = vitOpSites(c).map((s) => `${s.name} ${s.kind} ${s.fanIn}->${s.fanOut}`);
    const block = (i: number) => [
      `blocks.${i}.norm1 norm 32->32`, `blocks.${i}.attn.qkv linear 32->96`, `blocks.${i}.attn.proj linear 32->32`,
      `blocks.${i}.norm2 norm 32->32`, `blocks.${i}.mlp.fc1 linear 32->64`, `blocks.${i}.mlp.fc2 linear 64->32`,
    ];
    assert.deepEqual(sites, ['patch_embed.proj linear 49->32', ...block(0), ...block(1), 'norm norm 32->32']);
    assert.deepEqual(vitOpSites(c).find((s) => s.name === 'blocks.1.attn.qkv')!.parts, ['q', 'k', 'v']);
  });

  test('the hooks of a forward pass see exactly the listed sites, in order, with the listed widths', () => {
    const c = vitConfig('tiny', { pool: 'mean', posEmbed: 'sincos' });
    const model = createViT(c, { seed: 1 });
    const seen: string[] = [];
    tf.tidy(() => model.forward(tf.zeros([2, 28, 28, 1]) as tf.Tensor4D, {
      hooks: { afterOp: (site, x, y) => (seen.push(`${site} ${x.shape[1]}->${y.shape[1]}`), y) },
    }));
    assert.deepEqual(seen, vitOpSites(c).map((s) => `${s.name} ${s.fanIn}->${s.fanOut}`));
    model.dispose();
  });

  test('the ViT and the MAE decoder build their block parameters from the site list', () => {
    const c = VIT_PRESETS.tiny;
    const model = createViT(c);
    const mae = createMAE(model, DECODER_PRESETS.tiny);
    const expect = (sites: ReturnType<typeof blockSites>) => sites.flatMap((s) => [
      `${s.name}.weight ${s.kind === 'linear' ? `${s.fanIn},${s.fanOut}` : s.fanOut}`, `${s.name}.bias ${s.fanOut}`,
    ]);
    const actual = (params: Map<string, tf.Variable>, prefix: string) => [...params].filter(([n]) => n.startsWith(prefix)).map(([n, v]) => `${n} ${v.shape}`);
    assert.deepEqual(actual(model.params, 'blocks.1.'), expect(blockSites('blocks.1', 1, c.dim, c.mlpDim)));
    const dec = DECODER_PRESETS.tiny;
    assert.deepEqual(actual(mae.decoderParams, 'decoder_blocks.0.'), expect(blockSites('decoder_blocks.0', 0, dec.dim, dec.mlpDim)));
    mae.dispose();
    model.dispose();
  });
});
