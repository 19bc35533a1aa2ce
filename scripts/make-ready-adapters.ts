/**
 * Rebuilds the ready-made adapters in data/adapters-imagenet28/ (see its README): the TPP adapter and the
 * fine-tuned adapter of notebooks 04, 05 and 07 at their default settings, so a learner can skip training.
 *
 *   node --import tsx scripts/make-ready-adapters.ts [--out data/adapters-imagenet28]
 *
 * Settings: the `imagenet28` backbone; BreastMNIST's training images (all 546) for TPP; LoRA rank 4 on q, v;
 * seed 0; the study's recipe from docs/results/study-2026-11-28/plan.json (TPP epochs and lr; fine-tuning epochs,
 * batch, lr and at least `minSteps` optimiser steps an epoch), 10 labels per class for fine-tuning.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  capImages, fileBytes, finetune, initBackend, loadMedMNISTSplits, normalizationFrom, openBackbone, peftConfig, readStudyPlan, sharedTppAdapter, stageFiles,
} from '../src/index';

export const READY_DIR = path.resolve(__dirname, '..', 'data', 'adapters-imagenet28');
export const STUDY_PLAN = path.resolve(__dirname, '..', 'docs', 'results', 'study-2026-11-28', 'plan.json');

async function main(): Promise<void> {
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? path.resolve(process.argv[outIdx + 1]) : READY_DIR;
  const t0 = Date.now();
  const backend = await initBackend();
  const plan = readStudyPlan(STUDY_PLAN);
  const { vit, metadata, paths } = await openBackbone('imagenet28');
  const splits = await loadMedMNISTSplits('breastmnist');
  const normalization = normalizationFrom(metadata, splits.train);
  const method = peftConfig('lora', { rank: 4 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ready-adapters-'));
  const tpp = await sharedTppAdapter({
    backbone: vit, method, pretext: 'mae', decoder: fileBytes(paths.decoder!, 'decoder'), images: capImages(splits.train, plan.tpp.images), normalization,
    epochs: plan.tpp.epochs, lr: plan.tpp.lr, seed: 0, files: stageFiles(path.join(work, 'tpp')), recompute: true,
    metadata: { madeBy: 'scripts/make-ready-adapters.ts' },
  });
  tpp.trained!.peft.dispose();
  const ft = await finetune({
    backbone: vit, method, init: tpp.adapter, train: splits.train, val: splits.val, test: splits.test, labelBudget: { perClass: 10 },
    normalization, epochs: plan.finetune.epochs, batchSize: plan.finetune.batch, lr: plan.finetune.lr, minStepsPerEpoch: plan.finetune.minSteps,
    seed: 0, files: stageFiles(path.join(work, 'ft')),
    metadata: { madeBy: 'scripts/make-ready-adapters.ts', init: 'tpp-breastmnist-lora4.safetensors (the TPP adapter beside it)' },
  });
  fs.mkdirSync(out, { recursive: true });
  fs.copyFileSync(tpp.adapterPath, path.join(out, 'tpp-breastmnist-lora4.safetensors'));
  fs.copyFileSync(ft.adapterPath!, path.join(out, 'finetuned-breastmnist-lora4-10pc.safetensors'));
  console.log(JSON.stringify({
    backend: backend.name, seconds: (Date.now() - t0) / 1000, tppFinalLoss: tpp.trained!.fit.history.at(-1)?.loss,
    steps: ft.steps, targetShift: ft.targetShift, targetStartNorm: ft.targetStartNorm, bestEpoch: ft.fit.bestEpoch,
    val: { auc: ft.val.auc }, test: { auc: ft.test!.auc, accuracy: ft.test!.accuracy, balanced_accuracy: ft.test!.balanced_accuracy },
  }, null, 1));
  ft.peft.dispose(); ft.model.dispose(); vit.dispose();
  fs.rmSync(work, { recursive: true, force: true });
}

if (require.main === module) main().catch((e) => { console.error((e as Error).message); process.exitCode = 1; });
