/**
 * Drawn figures: the TPP pipeline (what each stage trains), the PEFT block diagram (places read from the real
 * methods' parameters), the checked-in copies in docs/img, and reconstructions without vs with an adapter on a
 * tiny model.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { vitConfig } from '../src/model/config';
import { createMAE, DECODER_PRESETS } from '../src/model/mae';
import { createViT } from '../src/model/vit';
import { applyPeft, peftConfig } from '../src/peft/index';
import { methodParameters, methodPlaces, peftDiagramSvg } from '../src/viz/peft-diagram';
import { pipelineSvg } from '../src/viz/pipeline';
import { reconstructionComparison } from '../src/viz/reconstructions';
import { docFigures } from '../scripts/draw-figures';
import { ROOT } from './helpers';

before(async () => {
  await initBackend({ warn: () => {} });
});

/** `[part, state]` of every tagged model part inside stage `i` of the pipeline figure. */
function stageParts(svg: string, i: number): Map<string, string> {
  const from = svg.indexOf(`data-stage="${i}"`);
  const to = svg.indexOf(`data-stage="${i + 1}"`);
  const chunk = svg.slice(from, to === -1 ? undefined : to);
  return new Map([...chunk.matchAll(/data-part="([^"]+)" data-state="([^"]+)"/g)].map((m) => [m[1], m[2]]));
}

/** `site → badge text` of one method column of the block diagram. */
function badges(svg: string, method: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of svg.matchAll(/<g data-method="([^"]+)" data-site="([^"]+)">(.*?)<\/g>/g)) {
    if (m[1] === method) out.set(m[2], m[3].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
  }
  return out;
}

describe('TPP pipeline figure', () => {
  test('stage 1 trains the backbone and decoder; TPP only the target parameters; fine-tuning them and a head', () => {
    const svg = pipelineSvg();
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const s0 = stageParts(svg, 0);
    const s1 = stageParts(svg, 1);
    const s2 = stageParts(svg, 2);
    assert.deepEqual([s0.get('backbone'), s0.get('block 0'), s0.get('block 3'), s0.get('decoder')], ['trained', 'trained', 'trained', 'trained']);
    assert.ok(![...s0.keys()].some((k) => k.startsWith('target')), 'no target parameters before TPP');
    assert.deepEqual([s1.get('backbone'), s1.get('block 2'), s1.get('target 2'), s1.get('decoder'), s1.get('head')], ['frozen', 'frozen', 'trained', 'frozen', undefined]);
    assert.deepEqual([s2.get('backbone'), s2.get('block 0'), s2.get('target 0'), s2.get('head'), s2.get('decoder')], ['frozen', 'frozen', 'trained', 'trained', undefined]);
    assert.match(svg, /data-part="legend".*trained in this stage.*frozen/);
  });

  test('texts can be changed and are escaped; the block count is checked', () => {
    const svg = pipelineSvg({ targetData: 'chest X-rays <unlabelled>', blocks: 2 });
    assert.match(svg, /chest X-rays &lt;unlabelled&gt;/);
    assert.equal(stageParts(svg, 1).get('block 2'), undefined);
    assert.throws(() => pipelineSvg({ blocks: 0 }), /blocks must be an integer from 1 to 12, got 0/);
  });
});

describe('PEFT block diagram', () => {
  const vit = createViT(vitConfig('tiny'), { seed: 0 });
  const methods = methodParameters(vit, [
    ['LoRA', peftConfig('lora')],
    ['LoRA proj+fc1', peftConfig('lora', { targets: ['proj', 'fc1'] })],
    ['LoRA v in block 1', peftConfig('lora', { targetRegex: 'blocks\\.1\\.attn\\.v' })],
    ['parallel', peftConfig('adapter', { style: 'parallel' })],
    ['sequential', peftConfig('adapter', { style: 'sequential' })],
    ['shallow', peftConfig('prompt')],
    ['deep', peftConfig('prompt', { depth: 'deep' })],
    ['BitFit', peftConfig('bitfit')],
    ['SSF', peftConfig('ssf')],
  ]);
  const svg = peftDiagramSvg(methods, { depth: 2 });

  test('each method is drawn where the code puts its parameters', () => {
    assert.deepEqual([...badges(svg, 'LoRA')], [['qkv', 'LoRA B·A on q, v']]);
    assert.deepEqual([...badges(svg, 'LoRA proj+fc1').keys()].sort(), ['fc1', 'proj']);
    assert.deepEqual([...badges(svg, 'LoRA v in block 1')], [['qkv', 'LoRA B·A on v (blocks 1)']]);
    assert.deepEqual([...badges(svg, 'parallel').keys()], ['beside_mlp']);
    assert.deepEqual([...badges(svg, 'sequential').keys()].sort(), ['after_attn', 'after_mlp']);
    assert.match(badges(svg, 'shallow').get('tokens')!, /added before block 0/);
    assert.match(badges(svg, 'deep').get('tokens')!, /new ones per block/);
    const everyOp = ['fc1', 'fc2', 'norm', 'norm1', 'norm2', 'patch_embed', 'proj', 'qkv'];
    assert.deepEqual([...badges(svg, 'BitFit').keys()].sort(), everyOp);
    assert.deepEqual([...badges(svg, 'SSF').keys()].sort(), everyOp);
    assert.equal(badges(svg, 'BitFit').get('norm1'), 'bias (β)');
  });

  test('a parameter with no place is refused, naming it; the head is skipped', () => {
    assert.throws(() => methodPlaces({ name: 'odd', parameterNames: ['blocks.0.attn.rel_pos'] }), /"blocks.0.attn.rel_pos" of odd has no place/);
    assert.equal(methodPlaces({ name: 'probe', parameterNames: ['head.weight', 'head.bias'] }).badges.size, 0);
    assert.throws(() => peftDiagramSvg([]), /no methods to draw/);
    vit.dispose();
  });
});

describe('docs/img figures', () => {
  test('the checked-in SVGs are what the code draws now (node --import tsx scripts/draw-figures.ts rewrites them)', () => {
    for (const [rel, text] of Object.entries(docFigures())) {
      assert.equal(fs.readFileSync(path.join(ROOT, rel), 'utf8'), text, `${rel} is stale: run node --import tsx scripts/draw-figures.ts`);
    }
  });
});

describe('reconstructions without vs with an adapter', () => {
  test('same masks and decoder: equal for a no-op adapter, different once it is trained; four pictures', async () => {
    const vit = createViT(vitConfig('tiny'), { seed: 1 });
    const mae = createMAE(vit, DECODER_PRESETS.tiny, { seed: 1 });
    const peft = applyPeft(vit, peftConfig('lora', { rank: 2 }));
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const start = await reconstructionComparison(mae, peft, x, { seed: 3 });
    assert.equal(start.lossWith, start.lossWithout, 'LoRA starts as a no-op (B = 0)');
    for (const [name, v] of peft.targetParameters()) if (name.endsWith('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9));
    const moved = await reconstructionComparison(mae, peft, x, { seed: 3 });
    assert.equal(moved.lossWithout, start.lossWithout, 'the backbone alone is unchanged');
    assert.notEqual(moved.lossWith, moved.lossWithout);
    assert.equal(moved.items.length, 4);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    assert.ok(moved.items.every((it) => Buffer.from(it.png.subarray(0, 4)).equals(png)));
    assert.deepEqual(moved.items.map((it) => it.caption?.split(':')[0]), ['target images', 'masked input (what the encoder sees)', 'without the adapter', 'with the TPP adapter']);
    assert.equal(moved.html.match(/<img /g)?.length, 4);
    peft.dispose();

    const bitfit = applyPeft(vit, peftConfig('bitfit'));
    await assert.rejects(reconstructionComparison(mae, bitfit, x), /bitfit trains the backbone's own tensors in place/);
    const other = createViT(vitConfig('tiny'), { seed: 2 });
    const foreign = applyPeft(other, peftConfig('lora'));
    await assert.rejects(reconstructionComparison(mae, foreign, x), /another backbone than the MAE's encoder/);
    foreign.dispose();
    other.dispose();
    mae.dispose();
    vit.dispose();
    x.dispose();
  });
});
