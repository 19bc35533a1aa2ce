/**
 * Per-method numbers for a preset: target-parameter count, adapter file size vs backbone file size, and the
 * median forward+backward+Adam step time. Usage:
 *   node --import tsx scripts/peft-report.ts [preset=tutorial] [batch=64] [steps=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { vitConfig, type PresetName } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { applyPeft, peftConfig, type PeftConfig } from '../src/peft';
import { saveAdapter, saveBackbone } from '../src/io/checkpoint';

async function main(): Promise<void> {
  const [preset = 'tutorial', batchArg = '64', stepsArg = '10'] = process.argv.slice(2);
  const report = await initBackend();
  const config = vitConfig(preset as PresetName);
  const batch = Number(batchArg), steps = Number(stepsArg);
  const dir = mkdtempSync(join(tmpdir(), 'peft-report-'));
  const model = createViT(config, { seed: 0 });
  const backboneBytes = (await saveBackbone(model, join(dir, 'backbone.safetensors'))).bytes;
  const x = tf.randomUniform([batch, config.imageSize, config.imageSize, config.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, config.numClasses, 'int32', 2), config.numClasses).cast('float32'));
  const methods: PeftConfig[] = [
    peftConfig('lora', { rank: 4, targets: ['q', 'v'] }),
    peftConfig('adapter', { style: 'parallel', bottleneck: 8 }),
    peftConfig('adapter', { style: 'sequential', bottleneck: 8 }),
    peftConfig('prompt', { tokens: 8, depth: 'shallow' }),
    peftConfig('prompt', { tokens: 8, depth: 'deep' }),
    peftConfig('bitfit'),
    peftConfig('ssf'),
    peftConfig('linear-probe'),
    peftConfig('full'),
  ];
  console.log(`backend ${report.name}, preset ${preset}, batch ${batch}, backbone file ${backboneBytes} bytes, backbone params ${model.numParameters()}`);
  console.log('method | target | head | adapter bytes | % of backbone file | step ms (median) | summary');
  for (const c of methods) {
    const peft = applyPeft(model, c);
    const label = `${c.method}${'style' in c ? `/${c.style}` : ''}${'depth' in c ? `/${c.depth}` : ''}`;
    const bytes = (await saveAdapter(peft, join(dir, `${label.replace(/\//g, '-')}.safetensors`))).bytes;
    const opt = tf.train.adam(1e-4);
    const vars = [...peft.trainableParameters().values()];
    const step = () => tf.tidy(() => {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, peft.forward(x, { training: true })) as tf.Scalar, false, vars);
    });
    for (let i = 0; i < 3; i++) step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step();
      await tf.ready();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const counts = peft.counts();
    console.log(`${label} | ${counts.target} | ${counts.head} | ${bytes} | ${((100 * bytes) / backboneBytes).toFixed(1)} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${peft.summary()}`);
    opt.dispose();
    peft.dispose();
  }
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
