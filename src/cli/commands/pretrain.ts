/** `tpp-lab pretrain`: MAE pre-training of a backbone on unlabelled images. */
import { VIT_PRESETS, vitConfig, type PresetName } from '../../model/config';
import { pretrainMAE } from '../../train/pretrain';
import { openBackbone } from '../../io/backbone';
import { fileBytes } from '../../io/stage-files';
import type { NamedBytes } from '../../io/store';
import { UsageError } from '../args';
import { Command } from '../command';
import { dataFromFlags, MASK_RATIO_FLAG, requireFlags, stageFlags, stageRunFromFlags, startBackend, WORKERS_FLAG } from '../train-shared';

export const command: Command = {
  name: 'pretrain',
  summary: 'Pre-train a ViT backbone with MAE (masked-image reconstruction)',
  usage: 'pretrain --data <flag|file.npz|fashion-mnist|dicom dir> --out <dir> [--preset NAME] [options]',
  description: 'Writes backbone.safetensors and decoder.safetensors (used by `tpp-lab tpp --pretext mae`) into --out.',
  runFolder: { outputs: ['backbone.safetensors', 'decoder.safetensors', 'checkpoint.safetensors'] },
  flags: [
    ...stageFlags('pretrain'),
    { name: 'preset', type: 'string', choices: Object.keys(VIT_PRESETS), help: 'model size (default tutorial)' },
    { name: 'from', type: 'string', value: 'NAME|DIR', help: 'continue pre-training this backbone and its decoder (every weight) instead of a new one, e.g. imagenet28' },
    MASK_RATIO_FLAG,
    { name: 'norm-pix', type: 'boolean', help: 'reconstruct per-patch normalised pixels (MAE norm_pix_loss)' },
    WORKERS_FLAG,
  ],
  async run({ flags }) {
    requireFlags(flags, ['data', 'out']);
    const quiet = !!flags.quiet;
    const run = stageRunFromFlags(flags);
    const backend = await startBackend(quiet);
    let init: { backbone: NamedBytes; decoder: NamedBytes } | undefined;
    let config = vitConfig((flags.preset ?? 'tutorial') as PresetName);
    if (flags.from !== undefined) {
      if (flags.preset !== undefined) throw new UsageError('--from continues a saved backbone, whose size is fixed: leave --preset out.');
      const { vit, paths } = await openBackbone(String(flags.from));
      config = vit.config;
      vit.dispose();
      if (!paths.decoder) throw new UsageError(`--from ${flags.from}: no decoder.safetensors beside ${paths.backbone}; MAE needs the decoder trained with the backbone.`);
      init = { backbone: fileBytes(paths.backbone, 'backbone'), decoder: fileBytes(paths.decoder, 'decoder') };
    }
    const data = await dataFromFlags(flags, { config });
    const t0 = Date.now();
    const r = await pretrainMAE({
      ...run, train: data.train, val: data.val, ...(init ? { init } : { preset: (flags.preset ?? 'tutorial') as PresetName }), maskRatio: flags['mask-ratio'] as number, normPixLoss: !!flags['norm-pix'],
      workers: flags.workers as number,
      provenance: { command: `tpp-lab pretrain ${process.argv.slice(3).join(' ')}`.trim(), backend, config },
    });
    const result = { backbone: r.backbonePath, decoder: r.decoderPath, epochs: r.fit.history.length, loss: r.fit.history[r.fit.history.length - 1]?.loss, val_loss: r.valLoss, seconds: (Date.now() - t0) / 1000, backend };
    r.mae.dispose();
    r.mae.encoder.dispose();
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`backbone: ${result.backbone}\ndecoder:  ${result.decoder}\nfinal loss ${result.loss?.toFixed(4)}, val loss ${result.val_loss?.toFixed(4)}, ${result.seconds.toFixed(0)} s on ${backend}`);
    return 0;
  },
};
