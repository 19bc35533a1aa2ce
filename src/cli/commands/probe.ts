/** `tpp-lab probe`: what a backbone's frozen features (optionally with a TPP adapter) are worth on a dataset. */
import { knnProbe, linearProbe, pooledFeatures, type FeatureSource } from '../../train/probe';
import { loadAdapter } from '../../io/checkpoint';
import { normalizationFrom } from '../../train/common';
import { limit } from '../../data/sets/dataset';
import { openBackbone } from '../../io/backbone';
import { Command } from '../command';
import { BACKBONE_FLAG, dataFromFlags, requireFlags, stageFlags, startBackend } from '../train-shared';

const USED = new Set(['data', 'split-seed', 'limit', 'convert', 'json', 'quiet', 'strict']);

export const command: Command = {
  name: 'probe',
  summary: 'Linear probe and kNN on frozen features: how good a backbone (or backbone + TPP adapter) is for a dataset',
  usage: 'probe --data <flag|file.npz|pool> [--backbone DIR] [--init ADAPTER] [--limit N] [--test-limit N] [--json]',
  description:
    'Features: the mean of the final patch tokens. Linear probe: softmax regression on standardised features (300 full-batch\n' +
    'AdamW steps, deterministic); kNN: cosine, k = 20, weights exp(sim / 0.07) (DINO). Trained on the training split, scored on\n' +
    'the test split. With --init, the adapter\'s hooks are in the forward pass (features after TPP).',
  flags: [
    ...stageFlags('finetune').filter((f) => USED.has(f.name)), BACKBONE_FLAG,
    { name: 'init', type: 'string', value: 'ADAPTER', help: 'a TPP adapter (.safetensors) whose hooks shape the features' },
    { name: 'test-limit', type: 'int', value: 'N', help: 'score on at most N test images' },
    { name: 'k', type: 'int', value: 'K', help: 'neighbours of the kNN probe', default: 20 },
  ],
  async run({ flags }) {
    requireFlags(flags, ['data']);
    const quiet = !!flags.quiet;
    const backend = await startBackend(quiet);
    const { vit, metadata, paths } = await openBackbone(flags.backbone as string | undefined);
    const peft = flags.init ? await loadAdapter(String(flags.init), vit, { head: false }) : null;
    try {
      const data = await dataFromFlags(flags, vit);
      const test = limit(data.test, flags['test-limit'] as number | undefined);
      const norm = normalizationFrom(metadata, data.train);
      const t0 = Date.now();
      const model: FeatureSource = peft ?? vit;
      const train = await pooledFeatures(model, data.train, norm);
      const feats = await pooledFeatures(model, test, norm);
      const lin = await linearProbe(train, feats);
      const knn = await knnProbe(train, feats, { k: flags.k as number });
      const result = {
        backbone: paths.backbone, init: flags.init ?? null, data: data.name, train: train.labels.length, test: feats.labels.length, classes: train.classes,
        linear_accuracy: lin.accuracy, linear_balanced_accuracy: lin.balanced_accuracy, linear_auc: lin.auc,
        knn_accuracy: knn.accuracy, knn_balanced_accuracy: knn.balanced_accuracy, knn_auc: knn.auc, seconds: (Date.now() - t0) / 1000, backend,
      };
      if (flags.json) console.log(JSON.stringify(result));
      else {
        console.log(`${result.data}: ${result.train} training / ${result.test} test images, ${result.classes} classes, features of ${paths.backbone}${peft ? ` + ${flags.init}` : ''}`);
        console.log(`linear probe  accuracy ${lin.accuracy.toFixed(3)}  balanced ${lin.balanced_accuracy.toFixed(3)}  AUC ${lin.auc.toFixed(3)}`);
        console.log(`kNN (k=${flags.k})  accuracy ${knn.accuracy.toFixed(3)}  balanced ${knn.balanced_accuracy.toFixed(3)}  AUC ${knn.auc.toFixed(3)}`);
      }
      return 0;
    } finally {
      peft?.dispose();
      vit.dispose();
    }
  },
};
