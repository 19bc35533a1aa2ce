/**
 * The demo's grid: a slice of the committed TPP study that runs offline on the bundled data in a few minutes.
 *
 * Its settings are the study's own plan (docs/results/study-2026-11-28/plan.json), restricted to what ships with the
 * repository: BreastMNIST with the arms none, same (its own images) and same-modality (HC18 fetal-head
 * ultrasound), LoRA, 10 labels per class, fine-tuning seeds 0-2 (one TPP run each). Every demo cell is therefore
 * a cell of the study, with the study's settings fingerprint.
 */
import type { GridSettings } from './settings';
import { targetSettings } from './study';
import type { StudyPlan } from './study-plan';

/** The committed study the demo is a slice of, relative to the repository root. */
export const DEMO_STUDY = 'docs/results/study-2026-11-28';
/** The regime map's dose axis (longer TPP on a target's own images), which the demo's printout cites beside the study. */
export const DEMO_DOSE = 'docs/results/regime-2026-12-06/dose';
/** The study target the demo runs. */
export const DEMO_TARGET = 'breastmnist';
/** Arms whose images ship with the repository (Kermany and Tiny-ImageNet are pools in ../shared). */
export const OFFLINE_ARMS: readonly string[] = ['none', 'same', 'same-modality'];

/**
 * The demo's grid settings: the study's BreastMNIST grid restricted to the bundled arms; quick (LoRA, 10 labels per
 * class, seeds 0-2) or `full` (the study's methods, budgets and seeds). `root` is the repository root: the plan's
 * `data/` paths are relative to it.
 */
export function demoSettings(plan: StudyPlan, o: { full: boolean; out: string; root: string }): GridSettings {
  const target = plan.targets.find((t) => t.name === DEMO_TARGET);
  if (!target) throw new Error(`${DEMO_STUDY}/plan.json has no ${DEMO_TARGET} target; the demo is a slice of it.`);
  const arms = Object.fromEntries(Object.entries(target.arms).map(([n, d]) => [n, d.startsWith('data/') ? `${o.root}/${d}` : d]));
  // The demo's arms ship with the repository; a target's further TPP arms (tppArms) are not in its slice.
  const { tppArms: _further, ...shipped } = target;
  const s = targetSettings(plan, { ...shipped, arms }, o.out);
  return {
    ...s, out: o.out, arms: s.arms.filter((a) => OFFLINE_ARMS.includes(a)), other: s.other.filter((x) => OFFLINE_ARMS.includes(x.split('=')[0])),
    ...(o.full ? {} : { methods: ['lora'], budgets: [{ perClass: 10 }], seeds: [0, 1, 2] }),
    title: o.full ? 'TPP on BreastMNIST: the study\'s offline slice (demo --full)' : 'TPP on BreastMNIST: a 3-seed slice of the study (demo)',
  };
}
