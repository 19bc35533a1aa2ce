/** `tpp-lab tpp`: Target Parameter Pre-training of a PEFT method on unlabelled target images. */
import * as path from 'path';
import { openBackbone } from '../../io/backbone';
import { optionalFileBytes } from '../../io/stage-files';
import { normalizationFrom } from '../../train/common';
import { PRETEXT_NAMES, type PretextName } from '../../train/pretext';
import { targetParameterPretrain } from '../../train/tpp';
import { Command } from '../command';
import { METHOD_FLAGS, methodFromFlags } from '../method-flags';
import { BACKBONE_FLAG, backboneSpec, dataFromFlags, MASK_RATIO_FLAG, requireFlags, stageFlags, stageRunFromFlags, startBackend } from '../train-shared';

export const command: Command = {
  name: 'tpp',
  summary: 'Target Parameter Pre-training: train only the PEFT parameters with a self-supervised pretext',
  usage: 'tpp --data <flag|file.npz|dicom dir> --out <dir> [--backbone DIR] [--method lora] [--pretext mae|simsiam] [options]',
  description: 'The backbone stays frozen bitwise. Writes adapter.safetensors (target parameters + metadata) into --out;\n`tpp-lab finetune --init <out>/adapter.safetensors` starts from it. Only the training images are used, without labels.',
  runFolder: { outputs: ['adapter.safetensors', 'checkpoint.safetensors'] },
  flags: [
    ...stageFlags('tpp'), BACKBONE_FLAG, ...METHOD_FLAGS,
    { name: 'pretext', type: 'string', choices: PRETEXT_NAMES, help: 'self-supervised task', default: 'mae' },
    { name: 'train-decoder', type: 'boolean', help: 'also train the MAE decoder (default: frozen)' },
    MASK_RATIO_FLAG,
  ],
  async run({ flags }) {
    requireFlags(flags, ['data', 'out']);
    const quiet = !!flags.quiet;
    const run = stageRunFromFlags(flags);
    const method = methodFromFlags(flags);
    const backend = await startBackend(quiet);
    const { vit, metadata, paths } = await openBackbone(backboneSpec(flags));
    try {
      const data = await dataFromFlags(flags, vit);
      const pretext = flags.pretext as PretextName;
      if (pretext === 'mae' && !paths.decoder) throw new Error(`The mae pretext needs decoder.safetensors beside ${paths.backbone}; use --pretext simsiam or a backbone folder from \`tpp-lab pretrain\`.`);
      const t0 = Date.now();
      const r = await targetParameterPretrain({
        ...run, backbone: vit, method, pretext, decoder: optionalFileBytes(paths.decoder, 'decoder'), trainDecoder: !!flags['train-decoder'], maskRatio: flags['mask-ratio'] as number,
        images: data.train, normalization: normalizationFrom(metadata, data.train),
        metadata: { backbone: path.relative(process.cwd(), paths.backbone), dataName: data.name, splitSeed: flags['split-seed'], trainFiles: data.train.ids, backend },
      });
      const result = { adapter: r.adapterPath, adapter_bytes: r.adapterBytes, method: method.method, pretext, loss: r.fit.history[r.fit.history.length - 1]?.loss, seconds: (Date.now() - t0) / 1000, backend };
      r.peft.dispose();
      if (flags.json) console.log(JSON.stringify(result));
      else console.log(`adapter: ${result.adapter} (${result.adapter_bytes} bytes)\n${method.method} with the ${pretext} pretext, final loss ${result.loss?.toFixed(4)}, ${result.seconds.toFixed(0)} s on ${backend}`);
      return 0;
    } finally {
      vit.dispose();
    }
  },
};
