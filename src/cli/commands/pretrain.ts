/** `tpp-lab pretrain`: MAE pre-training of a backbone on unlabelled images. */
import { vitConfig, type PresetName } from '../../model/config';
import { pretrainMAE } from '../../train/pretrain';
import { UsageError } from '../args';
import { Command } from '../command';
import { COMMON_FLAGS, dataFromFlags, outDir, progressPrinter, requireFlags, startBackend } from '../train-shared';

export const command: Command = {
  name: 'pretrain',
  summary: 'Pre-train a ViT backbone with MAE (masked-image reconstruction)',
  usage: 'pretrain --data <flag|file.npz|fashion-mnist|dicom dir> --out <dir> [--preset tiny|tutorial|p4] [options]',
  description: 'Writes backbone.safetensors and decoder.safetensors (used by `tpp-lab tpp --pretext mae`) into --out.',
  runFolder: { outputs: ['backbone.safetensors', 'decoder.safetensors', 'checkpoint.safetensors'] },
  flags: [
    ...COMMON_FLAGS,
    { name: 'preset', type: 'string', choices: ['tiny', 'tutorial', 'p4', 'large'], help: 'model size', default: 'tutorial' },
    { name: 'mask-ratio', type: 'number', value: 'R', help: 'fraction of patches masked', default: 0.75 },
    { name: 'norm-pix', type: 'boolean', help: 'reconstruct per-patch normalised pixels (MAE norm_pix_loss)' },
    { name: 'workers', type: 'int', value: 'N', help: 'split each batch over N worker threads (wasm: one core each)', default: 1 },
  ],
  async run({ flags }) {
    requireFlags(flags, ['data', 'out']);
    const quiet = !!flags.quiet;
    const out = outDir(flags);
    if ((flags.workers as number) < 1) throw new UsageError(`--workers must be at least 1, got ${flags.workers}.`);
    const backend = await startBackend(quiet);
    const config = vitConfig(flags.preset as PresetName);
    const data = await dataFromFlags(flags);
    const t0 = Date.now();
    const r = await pretrainMAE({
      train: data.train, val: data.val, preset: flags.preset as PresetName, epochs: (flags.epochs as number) ?? 10, batchSize: (flags.batch as number) ?? 64,
      lr: flags.lr as number | undefined, maskRatio: flags['mask-ratio'] as number, normPixLoss: !!flags['norm-pix'], seed: flags.seed as number,
      outDir: out, resume: !!flags.resume, onProgress: progressPrinter(quiet), workers: flags.workers as number,
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
