/** `tpp-lab finetune`: PEFT fine-tuning with a label budget, optionally from a TPP adapter. */
import { openBackbone } from '../../io/backbone';
import { fileBytes } from '../../io/stage-files';
import { normalizationFrom } from '../../train/common';
import { finetune } from '../../train/finetune';
import { UsageError } from '../args';
import { Command } from '../command';
import { initAdapter, METHOD_FLAGS, methodFromFlags } from '../method-flags';
import { BACKBONE_FLAG, backboneSpec, dataFromFlags, labelBudgetFromFlag, requireFlags, stageFlags, stageRunFromFlags, startBackend, WORKERS_FLAG } from '../train-shared';
import { runSegmentFinetune } from './finetune-segment';
import { DEFAULT_SEG_HEAD, SEG_HEAD_KINDS } from '../../model/seg-head';

export const command: Command = {
  name: 'finetune',
  summary: 'Fine-tune a PEFT method and a new head on labelled data; report test metrics',
  usage: 'finetune --data <flag|file.npz|dicom dir> --out <dir> [--backbone DIR] [--method lora] [--init adapter.safetensors] [--labels K|F] [options]',
  description: 'Cross-entropy for multi-class, binary cross-entropy for binary and multi-label tasks; AdamW with warm-up and cosine decay;\nvalidation AUC every epoch picks the best epoch. With --json the last line holds accuracy, balanced_accuracy, auc and f1.\n' +
    '--task segment (data: a segmentation .npz with images and masks, or a folder with masks.csv): Dice + cross-entropy loss, a head on the\npatch tokens (--head), best epoch by validation Dice; --json holds dice, iou, hd95 (and hc_error_mm when the data carry head_circumference_mm).',
  runFolder: { outputs: ['adapter.safetensors', 'checkpoint.safetensors'] },
  flags: [
    ...stageFlags('finetune'), BACKBONE_FLAG, ...METHOD_FLAGS,
    { name: 'init', type: 'string', value: 'FILE', help: 'start the target parameters from this TPP adapter (its method and settings are used)' },
    { name: 'labels', type: 'string', value: 'K|F', help: 'label budget: K per class, or a fraction F of each class', default: 'all' },
    { name: 'patience', type: 'int', value: 'N', help: 'stop after N epochs without a better validation AUC', min: 1 },
    { name: 'augment', type: 'boolean', help: 'flips, shifts and intensity jitter on training images' },
    WORKERS_FLAG,
    { name: 'task', type: 'string', choices: ['classify', 'segment'], help: 'classify (image labels) or segment (masks: --labels counts images)', default: 'classify' },
    { name: 'head', type: 'string', choices: [...SEG_HEAD_KINDS], help: 'segmentation head on the patch tokens (--task segment)', default: DEFAULT_SEG_HEAD },
  ],
  async run({ flags }) {
    requireFlags(flags, ['data', 'out']);
    const quiet = !!flags.quiet;
    const run = stageRunFromFlags(flags);
    const segment = flags.task === 'segment';
    if (!segment && flags.head !== undefined && flags.head !== DEFAULT_SEG_HEAD) throw new UsageError('--head applies to --task segment.');
    if (segment && (flags.workers as number) > 1) throw new UsageError('--workers > 1 is not supported with --task segment yet; leave it at 1.');
    const init = flags.init === undefined ? undefined : await initAdapter(String(flags.init));
    const method = methodFromFlags(flags, init);
    const labelBudget = segment ? undefined : labelBudgetFromFlag(flags.labels);
    const backend = await startBackend(quiet);
    const { vit, metadata } = await openBackbone(backboneSpec(flags));
    try {
      if (segment) {
        const result = await runSegmentFinetune(flags, vit, metadata, method, backend);
        if (flags.json) console.log(JSON.stringify(result));
        else {
          console.log(`adapter: ${result.adapter}`);
          console.log(`test (${result.test_examples} images, ${result.train_examples} labelled training images, best epoch ${result.best_epoch}):`);
          console.log(`  Dice ${(result.dice as number).toFixed(4)}  IoU ${(result.iou as number).toFixed(4)}  HD95 ${(result.hd95 as number).toFixed(2)} ${result.hd95_unit}${result.hc_error_mm !== undefined ? `  head circumference error ${(result.hc_error_mm as number).toFixed(1)} mm` : ''}`);
        }
        return 0;
      }
      const data = await dataFromFlags(flags, vit);
      const t0 = Date.now();
      const r = await finetune({
        ...run, backbone: vit, method, init: init && fileBytes(init.path, 'init adapter'), train: data.train, val: data.val, test: data.test, labelBudget,
        normalization: normalizationFrom(metadata, data.train), patience: flags.patience as number | undefined, augment: !!flags.augment,
        workers: flags.workers as number,
        // The test files (when the data names them, e.g. a DICOM folder) record which images the metrics are on.
        metadata: { dataName: data.name, splitSeed: flags['split-seed'], testFiles: data.test.ids, backend },
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
