/**
 * `node --import tsx scripts/regime-distances.ts [--plan FILE] [--out DIR] [--file NAME] [--stats-only]`
 *
 * The regime map's first piece: the cheap numbers (src/regime/domain.ts) of every (target, TPP arm) of a study plan,
 * computed from the frozen backbone before any TPP, as `distances.csv` (or --file) in --out (default
 * docs/results/regime-2026-12-06). Also writes the backbone's `pool-stats.json` (the statistics of its pre-training
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
import { measureData, poolStatsFile } from '../src/regime/open';
import { normalizationFrom } from '../src/train/common';
import { readStudyPlan } from '../src/grid/study-plan-file';

const POOL_SAMPLE = 5000;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const plan = readStudyPlan(opt('--plan', 'docs/results/study-2026-11-28/plan.json'));
  const out = opt('--out', 'docs/results/regime-2026-12-06');
  await startBackend(true);
  const backbone = plan.backbone ?? 'imagenet28';
  const { vit, metadata, paths } = await openBackbone(backbone);
  const mae = await loadDecoder(paths.decoder!, vit);
  const statsFile = poolStatsFile(backbone);
  if (!fs.existsSync(statsFile)) {
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
  }
  vit.dispose();
  if (argv.includes('--stats-only')) return;

  // Each target is measured once (its own images first, then the plan's arms in order), as `tpp-lab predict` does.
  const rows: string[] = ['backbone,target,arm,pool,n_target,n_pool,surprise,pool_surprise,fd_backbone,fd_pool'];
  for (const t of plan.targets) {
    const arms: [string, string][] = [['same', t.data], ...Object.entries(t.arms)];
    const m = await measureData(t.data, { backbone, pools: arms.slice(1).map(([, spec]) => spec), tppImages: plan.tpp.images, convert: true, splitSeed: plan.splitSeed });
    arms.forEach(([arm, spec], i) => {
      const p = m.pools[i];
      rows.push([backbone, t.name, arm, spec, Math.min(m.trainImages, TARGET_SAMPLE), p.images, m.surprise, m.poolSurprise, m.fdBackbone, p.fdPool].join(','));
      console.error(`${t.name} ${arm} (${spec}): surprise ${m.surprise.toFixed(4)}, FD backbone ${m.fdBackbone.toFixed(3)}, FD pool ${p.fdPool.toFixed(3)}`);
    });
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
