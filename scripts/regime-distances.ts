/**
 * `node --import tsx scripts/regime-distances.ts [--plan FILE] [--out DIR] [--file NAME] [--stats-only]`
 *
 * The regime map's first piece: the cheap numbers (src/regime/domain.ts) of every (target, TPP arm) of a study plan,
 * its `tppArms` (dose and mix arms) included, computed from the frozen backbone before any TPP, as `distances.csv`
 * (or --file) in --out (default docs/results/regime-2026-12-06). Each arm's TPP images are the grid's own
 * (`buildArms` and `tppImages`), so the distance is to exactly what its TPP ran on. The dose and mix tables:
 * `--plan docs/results/regime-2026-12-06/dose-plan.json --file dose-distances.csv` (and mix-plan.json, mix-distances.csv). Also writes the backbone's `pool-stats.json` (the statistics of its pre-training
 * pool that the distances need) beside the bundled backbone when it is missing. Needs ../shared/pools.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startBackend } from '../src/cli/train-shared';
import { fitToBackbone } from '../src/data/sets/fit';
import { loadData } from '../src/io/sources/load';
import { openBackbone } from '../src/io/backbone';
import { loadDecoder } from '../src/io/decoder';
import { backboneFingerprint } from '../src/model/fingerprint';
import { featureStats } from '../src/analysis/frechet';
import { pooledFeatures } from '../src/train/probe';
import { type PoolStats, sampleImages, surprise, TARGET_SAMPLE } from '../src/regime/domain';
import { poolStatsFile, readPoolStats } from '../src/regime/open';
import { type CandidatePool, measureTarget } from '../src/regime/predict';
import { normalizationFrom } from '../src/train/common';
import { readStudyPlan } from '../src/grid/study-plan-file';
import { targetSettings } from '../src/grid/study';
import { buildArms, loadTarget } from '../src/grid/build';
import { tppImages } from '../src/grid/plan';
import { nodeGridSources } from '../src/io/grid-sources';
import { numExamples } from '../src/data/sets/dataset';

const POOL_SAMPLE = 5000;

/** A tppArm's pools in one CSV-safe field: `knee+kermany` (`same` is the target's own data). */
function poolsText(pools: readonly { data: string }[], own: string): string {
  return pools.map((p) => (p.data === 'same' ? own : p.data)).join('+');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const plan = readStudyPlan(opt('--plan', 'docs/results/study-2026-11-28/plan.json'));
  const out = opt('--out', 'docs/results/regime-2026-12-06');
  await startBackend(true);
  const backbone = plan.backbone ?? 'imagenet28';
  const statsFile = poolStatsFile(backbone);
  if (!fs.existsSync(statsFile)) {
    const { vit, metadata, paths } = await openBackbone(backbone);
    const mae = await loadDecoder(paths.decoder!, vit);
    // The backbone's own pre-training data: Tiny-ImageNet's training split (split seed 0), as its README says.
    const fit = (ds: Parameters<typeof fitToBackbone>[0]) => fitToBackbone(ds, vit.config, true);
    const pool = await loadData('tinyimagenet', { splitSeed: 0 });
    const normalization = normalizationFrom(metadata, pool.train);
    const f = await pooledFeatures(vit, fit(sampleImages(pool.train, POOL_SAMPLE, 2)), normalization);
    const stats: PoolStats = {
      format: 'tpp-lab/pool-stats', backbone: await backboneFingerprint(vit),
      source: `tinyimagenet training split (split seed 0), ${POOL_SAMPLE} images sampled with seed 2, converted to ${vit.config.imageSize} px x ${vit.config.channels}; surprise on its 2,000 validation images`,
      features: featureStats(f), surprise: await surprise(mae, fit(pool.val), normalization),
    };
    fs.writeFileSync(`${statsFile}.tmp`, JSON.stringify(stats) + '\n');
    fs.renameSync(`${statsFile}.tmp`, statsFile);
    console.error(`wrote ${statsFile} (pool surprise ${stats.surprise.toFixed(4)})`);
    vit.dispose();
  }
  if (argv.includes('--stats-only')) return;

  // Each target is measured once, against every TPP arm of its grid (own images, the plan's arms, its tppArms: a
  // dose or a mix of pools), each arm's images built as the grid builds them (buildArms, then tppImages).
  const rows: string[] = ['backbone,target,arm,pool,n_target,n_pool,surprise,pool_surprise,fd_backbone,fd_pool'];
  const opened = await openBackbone(backbone);
  const mae = await loadDecoder(opened.paths.decoder!, opened.vit);
  const stats = readPoolStats(backbone, await backboneFingerprint(opened.vit));
  try {
    for (const t of plan.targets) {
      const settings = targetSettings(plan, t, out);
      const target = await loadTarget(settings, nodeGridSources, opened.vit);
      const grid = { tpp: { maxImages: settings.tppImages } };
      const arms = (await buildArms(settings, nodeGridSources, target, opened.vit)).filter((a) => a.images);
      const pools: CandidatePool[] = arms.map((a) => ({ name: a.name, images: tppImages(grid, a)! }));
      const m = await measureTarget(mae, stats, normalizationFrom(opened.metadata, target.train), target.train, pools);
      arms.forEach((a, i) => {
        const spec = a.name === 'same' ? t.data : t.arms[a.name] ?? poolsText(t.tppArms?.[a.name]?.pools ?? [], t.data);
        const p = m.pools[i];
        rows.push([backbone, t.name, a.name, spec, Math.min(numExamples(target.train), TARGET_SAMPLE), p.images, m.surprise, m.poolSurprise, m.fdBackbone, p.fdPool].join(','));
        console.error(`${t.name} ${a.name} (${spec}, ${p.images} images): surprise ${m.surprise.toFixed(4)}, FD backbone ${m.fdBackbone.toFixed(3)}, FD pool ${p.fdPool.toFixed(3)}`);
      });
    }
  } finally {
    opened.vit.dispose();
  }
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, opt('--file', 'distances.csv'));
  fs.writeFileSync(`${file}.tmp`, rows.join('\n') + '\n');
  fs.renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
}

main().catch((e) => {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
});
