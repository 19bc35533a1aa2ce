/** `tpp-lab probe`: what a backbone's frozen features (optionally with a TPP adapter) are worth on a dataset. */
import { type Features, knnProbeScores, linearProbeScores, pooledFeatures, probeEstimate, probeMetric, probeMetrics, type FeatureSource } from '../../train/probe';
import type { Estimate } from '../../analysis/bootstrap';
import { signed } from '../../analysis/paired';
import { loadAdapter } from '../../io/checkpoint';
import { normalizationFrom } from '../../train/common';
import { limit } from '../../data/sets/dataset';
import { openBackbone } from '../../io/backbone';
import { Command } from '../command';
import type { FlagValues } from '../args';
import { BACKBONE_FLAG, dataFromFlags, requireFlags, stageFlags, startBackend } from '../train-shared';

const USED = new Set(['data', 'split-seed', 'limit', 'convert', 'json', 'quiet', 'strict']);

export const command: Command = {
  name: 'probe',
  summary: 'Linear probe and kNN on frozen features: how good a backbone (or backbone + TPP adapter) is for a dataset',
  usage: 'probe --data <flag|file.npz|pool> [--backbone DIR] [--init ADAPTER] [--against BACKBONE] [--limit N] [--test-limit N] [--json]',
  description:
    'Features: the mean of the final patch tokens. Linear probe: softmax regression on standardised features (300 full-batch\n' +
    'AdamW steps, deterministic); kNN: cosine, k = 20, weights exp(sim / 0.07) (DINO). Trained on the training split, scored on\n' +
    'the test split, with a bootstrap 95% interval over the test images (2,000 resamples, seed 0) of AUC (two classes) or\n' +
    'accuracy. With --init, the adapter\'s hooks are in the forward pass (features after TPP). With --against, a second\n' +
    'backbone is probed on the same images and the difference is paired (one resampling for both).',
  flags: [
    ...stageFlags('finetune').filter((f) => USED.has(f.name)), BACKBONE_FLAG,
    { name: 'init', type: 'string', value: 'ADAPTER', help: 'a TPP adapter (.safetensors) whose hooks shape the features' },
    { name: 'test-limit', type: 'int', value: 'N', help: 'score on at most N test images' },
    { name: 'k', type: 'int', value: 'K', help: 'neighbours of the kNN probe', default: 20 },
    { name: 'against', type: 'string', value: 'BACKBONE', help: 'probe this backbone too, on the same images, and print the paired difference with a bootstrap 95% interval' },
  ],
  async run({ flags }) {
    requireFlags(flags, ['data']);
    const quiet = !!flags.quiet;
    const backend = await startBackend(quiet);
    const one = await probeBackbone(flags, flags.backbone as string | undefined, flags.init as string | undefined);
    const other = flags.against ? await probeBackbone(flags, String(flags.against), undefined) : null;
    if (other && (other.test.labels.length !== one.test.labels.length || other.test.labels.some((y, i) => y !== one.test.labels[i]))) {
      throw new Error(`probe --against: the two backbones saw different test images (${one.test.labels.length} and ${other.test.labels.length}); they need the same image size and channels, or --convert.`);
    }
    const metric = probeMetric(one.test.classes);
    const difference = other && {
      linear: probeEstimate(one.test, one.linear, { baseline: other.linear }),
      knn: probeEstimate(one.test, one.knn, { baseline: other.knn }),
    };
    const result = { ...one.result, backend, ...(other ? { against: { ...other.result, backend }, difference: { metric, ...difference } } : {}) };
    if (flags.json) console.log(JSON.stringify(result));
    else {
      for (const r of other ? [one, other] : [one]) printProbe(r, flags.k as number);
      if (difference) {
        const d = (e: Estimate) => `${signed(e.value, 3)} [${signed(e.low, 3)}, ${signed(e.high, 3)}]`;
        console.log(`${String(flags.backbone ?? one.result.backbone)} − ${String(flags.against)}, ${metric} on the same test images (paired bootstrap, 2,000 resamples):`);
        console.log(`  linear probe ${d(difference.linear)}   kNN ${d(difference.knn)}`);
      }
    }
    return 0;
  },
};

/** One backbone's probes on the data: the JSON fields, the test features and both probes' scores. */
interface BackboneProbe {
  result: Record<string, unknown> & { backbone: string };
  test: Features;
  linear: Float32Array;
  knn: Float32Array;
  estimates: { linear: Estimate; knn: Estimate };
}

async function probeBackbone(flags: FlagValues, backbone: string | undefined, init: string | undefined): Promise<BackboneProbe> {
  const { vit, metadata, paths } = await openBackbone(backbone);
  const peft = init ? await loadAdapter(init, vit, { head: false }) : null;
  try {
    const data = await dataFromFlags(flags, vit);
    const test = limit(data.test, flags['test-limit'] as number | undefined);
    const norm = normalizationFrom(metadata, data.train);
    const t0 = Date.now();
    const model: FeatureSource = peft ?? vit;
    const train = await pooledFeatures(model, data.train, norm);
    const feats = await pooledFeatures(model, test, norm);
    const linear = await linearProbeScores(train, feats);
    const knn = await knnProbeScores(train, feats, { k: flags.k as number });
    const lin = probeMetrics(feats, linear);
    const nn = probeMetrics(feats, knn);
    const estimates = { linear: probeEstimate(feats, linear), knn: probeEstimate(feats, knn) };
    const metric = probeMetric(feats.classes);
    return {
      result: {
        backbone: paths.backbone, init: init ?? null, data: data.name, train: train.labels.length, test: feats.labels.length, classes: train.classes,
        linear_accuracy: lin.accuracy, linear_balanced_accuracy: lin.balanced_accuracy, linear_auc: lin.auc,
        knn_accuracy: nn.accuracy, knn_balanced_accuracy: nn.balanced_accuracy, knn_auc: nn.auc,
        metric, linear_ci: [estimates.linear.low, estimates.linear.high], knn_ci: [estimates.knn.low, estimates.knn.high],
        seconds: (Date.now() - t0) / 1000,
      },
      test: feats, linear, knn, estimates,
    };
  } finally {
    peft?.dispose();
    vit.dispose();
  }
}

function printProbe(p: BackboneProbe, k: number): void {
  const r = p.result as Record<string, number> & { data: string; backbone: string; init: string | null };
  const ci = (e: Estimate) => `[${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;
  const metric = probeMetric(p.test.classes);
  console.log(`${r.data}: ${r.train} training / ${r.test} test images, ${r.classes} classes, features of ${r.backbone}${r.init ? ` + ${r.init}` : ''}`);
  console.log(`linear probe  accuracy ${r.linear_accuracy.toFixed(3)}  balanced ${r.linear_balanced_accuracy.toFixed(3)}  AUC ${r.linear_auc.toFixed(3)}  (${metric} 95% CI ${ci(p.estimates.linear)})`);
  console.log(`kNN (k=${k})  accuracy ${r.knn_accuracy.toFixed(3)}  balanced ${r.knn_balanced_accuracy.toFixed(3)}  AUC ${r.knn_auc.toFixed(3)}  (${metric} 95% CI ${ci(p.estimates.knn)})`);
}
