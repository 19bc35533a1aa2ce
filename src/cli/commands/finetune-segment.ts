/** `tpp-lab finetune --task segment`: PEFT fine-tuning with a segmentation head (called by the finetune command). */
import type { ViT } from '../../model/vit';
import { DEFAULT_SEG_HEAD, SEG_HEAD_KINDS, type SegHeadKind } from '../../model/seg-head';
import { segImages } from '../../data/sets/segmentation';
import { normalizationFrom } from '../../train/common';
import { requireSegmentationData } from '../../io/sources/seg-source';
import { finetuneSegmentation } from '../../train/segment';
import { optionalFileBytes } from '../../io/stage-files';
import { UsageError, type FlagValues } from '../args';
import { dataFromFlags, stageRunFromFlags } from '../train-shared';
import type { PeftConfig } from '../../peft/index';

/** `--labels 10` → 10 labelled images; `all` or absent → every training image. */
export function parseImageBudget(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  const v = Number(text);
  if (Number.isInteger(v) && v >= 1) return v;
  throw new UsageError(`--labels for --task segment takes a whole number of labelled images (e.g. 10) or "all"; got "${text}".`);
}

/** The head from `--head` (default `DEFAULT_SEG_HEAD`). */
export function segHeadFromFlags(flags: FlagValues): SegHeadKind {
  const h = String(flags.head ?? DEFAULT_SEG_HEAD);
  if (!(SEG_HEAD_KINDS as readonly string[]).includes(h)) throw new UsageError(`--head must be one of ${SEG_HEAD_KINDS.join(', ')}; got "${h}".`);
  return h as SegHeadKind;
}

/** Run the segmentation fine-tuning for the finetune command; returns the `--json` result object. */
export async function runSegmentFinetune(flags: FlagValues, vit: ViT, metadata: Record<string, unknown>, method: PeftConfig, backend: string): Promise<Record<string, unknown>> {
  const labelBudget = parseImageBudget(flags.labels as string | undefined);
  const head = segHeadFromFlags(flags);
  requireSegmentationData(String(flags.data));
  const data = await dataFromFlags(flags, vit);
  const { train, val, test } = data.seg!;
  const t0 = Date.now();
  const r = await finetuneSegmentation({
    ...stageRunFromFlags(flags), backbone: vit, method, init: optionalFileBytes(flags.init as string | undefined, 'init adapter'), head, train, val, test, labelBudget,
    normalization: normalizationFrom(metadata, segImages(train)), patience: flags.patience as number | undefined, augment: !!flags.augment,
    metadata: { dataName: data.name, splitSeed: flags['split-seed'], testFiles: test.ids, backend },
  });
  const t = r.test!;
  const result: Record<string, unknown> = {
    adapter: r.adapterPath, task: 'segment', head, method: method.method, init: (flags.init as string) ?? null, train_examples: r.trainExamples, test_examples: t.n,
    best_epoch: r.fit.bestEpoch + 1, dice: t.dice, iou: t.iou, hd95: t.hd95, hd95_unit: train.pixelSize ? 'mm' : 'px', empty_predictions: t.emptyPredictions,
    seconds: (Date.now() - t0) / 1000, backend,
  };
  if (t.hc_error_mm !== undefined) result.hc_error_mm = t.hc_error_mm;
  r.peft.dispose();
  r.head.dispose();
  r.model.dispose();
  return result;
}
