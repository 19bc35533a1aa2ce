/** `tpp-lab finetune`: PEFT fine-tuning with a label budget, optionally from a TPP adapter. */
import type { SubsampleSpec } from '../../data/splits';
import { normalizationFrom } from '../../train/common';
import { finetune } from '../../train/finetune';
import { UsageError } from '../args';
import { Command } from '../command';
import { BACKBONE_FLAG, COMMON_FLAGS, dataFromFlags, METHOD_FLAGS, methodFromFlags, openBackbone, outDir, progressPrinter, requireFlags, startBackend } from '../train-shared';

/** `--labels 10` → 10 per class; `--labels 0.1` → 10 % of each class. */
export function parseLabelBudget(text: string | undefined): SubsampleSpec | undefined {
  if (text === undefined || text === 'all') return undefined;
  const v = Number(text);
  if (Number.isInteger(v) && v >= 1) return { perClass: v };
  if (v > 0 && v < 1) return { fraction: v };
  throw new UsageError(`--labels takes a whole number per class (e.g. 10), a fraction in (0, 1) (e.g. 0.1), or "all"; got "${text}".`);
}

export const command: Command = {
  name: 'finetune',
  summary: 'Fine-tune a PEFT method and a new head on labelled data; report test metrics',
  usage: 'finetune --data <flag|file.npz|dicom dir> --out <dir> [--backbone DIR] [--method lora] [--init adapter.safetensors] [--labels K|F] [options]',
  description: 'Cross-entropy for multi-class, binary cross-entropy for binary and multi-label tasks; AdamW with warm-up and cosine decay;\nvalidation AUC every epoch picks the best epoch. With --json the last line holds accuracy, balanced_accuracy, auc and f1.',
  runFolder: { outputs: ['adapter.safetensors', 'checkpoint.safetensors'] },
  flags: [
    ...COMMON_FLAGS, BACKBONE_FLAG, ...METHOD_FLAGS,
    { name: 'init', type: 'string', value: 'FILE', help: 'start the target parameters from this TPP adapter' },
    { name: 'labels', type: 'string', value: 'K|F', help: 'label budget: K per class, or a fraction F of each class', default: 'all' },
    { name: 'patience', type: 'int', value: 'N', help: 'stop after N epochs without a better validation AUC' },
    { name: 'augment', type: 'boolean', help: 'flips, shifts and intensity jitter on training images' },
    { name: 'workers', type: 'int', value: 'N', help: 'split each batch over N worker threads (wasm: one core each)', default: 1 },
  ],
  async run({ flags }) {
    requireFlags(flags, ['data', 'out']);
    const quiet = !!flags.quiet;
    const out = outDir(flags);
    const method = methodFromFlags(flags);
    const labels = parseLabelBudget(flags.labels as string | undefined);
    if ((flags.workers as number) < 1) throw new UsageError(`--workers must be at least 1, got ${flags.workers}.`);
    const backend = await startBackend(quiet);
    const { vit, metadata } = await openBackbone(flags.backbone as string | undefined);
    try {
      const data = await dataFromFlags(flags, vit);
      const t0 = Date.now();
      const r = await finetune({
        backbone: vit, method, init: flags.init as string | undefined, train: data.train, val: data.val, test: data.test, labels,
        normalization: normalizationFrom(metadata, data.train), epochs: (flags.epochs as number) ?? 30, batchSize: (flags.batch as number) ?? 32,
        lr: flags.lr as number | undefined, patience: flags.patience as number | undefined, augment: !!flags.augment, seed: flags.seed as number,
        outDir: out, resume: !!flags.resume, onProgress: progressPrinter(quiet), metadata: { dataName: data.name, backend },
        workers: flags.workers as number,
      });
      const t = r.test!;
      const result = {
        adapter: r.adapterPath, method: method.method, init: (flags.init as string) ?? null, train_examples: r.trainExamples, best_epoch: r.fit.bestEpoch + 1,
        accuracy: t.accuracy, balanced_accuracy: t.balanced_accuracy, auc: t.auc, f1: t.f1, confusion: t.confusion, seconds: (Date.now() - t0) / 1000, backend,
      };
      r.peft.dispose();
      r.model.dispose();
      if (flags.json) console.log(JSON.stringify(result));
      else {
        console.log(`adapter: ${result.adapter}`);
        console.log(`test (${t.n} images, ${result.train_examples} labelled training images, best epoch ${result.best_epoch}):`);
        console.log(`  accuracy ${t.accuracy.toFixed(4)}  balanced accuracy ${t.balanced_accuracy.toFixed(4)}  AUC ${t.auc.toFixed(4)}  F1 ${t.f1.toFixed(4)}`);
      }
      return 0;
    } finally {
      vit.dispose();
    }
  },
};
