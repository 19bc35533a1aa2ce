/**
 * Backbone and adapter checkpoints as safetensors files, in PyTorch's layout (Linear weights `[out, in]`,
 * `patch_embed.proj.weight` as timm's conv `[D, C, P, P]`), so they open in PyTorch / timm as they are.
 *
 * `__metadata__` (all values strings):
 * - `format`: `tpp-lab/vit-backbone` or `tpp-lab/peft-adapter`; `format_version`: `1`;
 * - `vit_config`: the full ViTConfig as JSON;
 * - `fingerprint`: the backbone fingerprint (model/fingerprint.ts) of the backbone, or, for an adapter, of the
 *   backbone it was applied to;
 * - `peft_config` (adapters): the PEFT config as JSON;
 * - `metadata`: free-form user metadata as JSON (modality, data, metrics...).
 *
 * Adapter files hold only the trainable parameters (target + head), so they are small beside the backbone; a TPP
 * adapter holds no head (its pretext never trains the classification head, so storing it would only mislead).
 *
 * This file is the format, bytes in and out (so a web page writes the CLI's files and reads them); reading and
 * writing files is src/io/checkpoint.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { validateViTConfig, type ViTConfig } from '../model/config';
import { backboneFingerprint, fingerprintOf } from '../model/fingerprint';
import { withNewHead } from '../model/head';
import { fromTorchLayout, torchShape, type ParamLayout } from '../model/layout';
import { createViT, HEAD_PARAMS, ViT } from '../model/vit';
import { applyPeft, PeftModel, validatePeftConfig, type PeftConfig } from '../peft/index';
import { decodeSafetensorsHeader, encodeSafetensors, entryToFloat32, type SafetensorsContents, type SafetensorsHeader, type TensorToWrite } from './safetensors';

/** `format` of backbone files. */
export const BACKBONE_FORMAT = 'tpp-lab/vit-backbone';
/** `format` of adapter files. */
export const ADAPTER_FORMAT = 'tpp-lab/peft-adapter';
/** Current `format_version`. */
export const FORMAT_VERSION = '1';

/** Free-form metadata stored with a checkpoint (JSON-serialisable). */
export type CheckpointMetadata = Record<string, unknown>;

/** An encoded checkpoint: its bytes and what they hold. */
export interface EncodedCheckpoint {
  bytes: Uint8Array;
  /** Number of tensors written. */
  tensors: number;
  /** Scalars written. */
  parameters: number;
  /** Backbone fingerprint stored in the file. */
  fingerprint: string;
}

/** What `readCheckpointInfo` returns (header only, no tensor data read). */
export interface CheckpointInfo {
  kind: 'backbone' | 'adapter' | 'unknown';
  fileBytes: number;
  tensors: number;
  parameters: number;
  vitConfig: ViTConfig | null;
  peftConfig: PeftConfig | null;
  fingerprint: string | null;
  metadata: CheckpointMetadata;
}

/** Read tensors for writing; asynchronous so it works on backends without synchronous reads (webgpu). */
async function torchTensors(weights: Map<string, tf.Tensor>): Promise<Map<string, TensorToWrite>> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of weights) out.set(name, { dtype: 'F32', shape: t.shape, data: (await t.data()) as Float32Array });
  return out;
}

function parseJson<T>(path: string, meta: Record<string, string>, key: string): T | null {
  if (meta[key] === undefined) return null;
  try {
    return JSON.parse(meta[key]) as T;
  } catch {
    throw new Error(`Checkpoint ${path}: __metadata__.${key} is not valid JSON.`);
  }
}

/** A backbone file's bytes (all parameters, head included). */
export async function encodeBackbone(model: ViT, metadata: CheckpointMetadata = {}): Promise<EncodedCheckpoint> {
  const weights = model.getWeights('torch');
  try {
    const fingerprint = await backboneFingerprint(model);
    const bytes = encodeSafetensors(await torchTensors(weights), {
      format: BACKBONE_FORMAT,
      format_version: FORMAT_VERSION,
      vit_config: JSON.stringify(model.config),
      fingerprint,
      metadata: JSON.stringify(metadata),
    });
    return { bytes, tensors: weights.size, parameters: model.numParameters(), fingerprint };
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** Options of `loadBackbone`. */
export interface LoadBackboneOptions {
  /** The config, for files without `vit_config` metadata (e.g. exported from PyTorch). */
  config?: ViTConfig;
  /** A new number of classes: the head is then freshly initialised (seeded) instead of loaded. */
  numClasses?: number;
  /** Seed for the fresh head (default 0). */
  seed?: number;
}

/** Check one stored tensor against the parameter it should fill; returns its values. */
function checkTensor(path: string, contents: SafetensorsContents, name: string, expected: number[]): Float32Array {
  const e = contents.tensors.get(name)!;
  if (e.dtype !== 'F32') {
    throw new Error(`Checkpoint ${path}: tensor "${name}" has dtype ${e.dtype}, expected F32. Re-export it as float32.`);
  }
  if (!tf.util.arraysEqual(e.shape, expected)) {
    throw new Error(`Checkpoint ${path}: tensor "${name}" has shape [${e.shape}], expected [${expected}] (PyTorch layout) for this config. The file belongs to a different model shape.`);
  }
  return entryToFloat32(name, e);
}

function checkNames(path: string, contents: SafetensorsContents, expected: string[], fix: string): void {
  const have = new Set(contents.tensors.keys());
  const missing = expected.filter((n) => !have.has(n));
  const extra = [...have].filter((n) => !expected.includes(n));
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 8).join(', ')}`);
    if (extra.length) parts.push(`unexpected ${extra.length} tensor(s): ${extra.slice(0, 8).join(', ')}`);
    throw new Error(`Checkpoint ${path}: ${parts.join('; ')}. ${fix}`);
  }
}

/** Sane bounds of a stored ViT config (far above any model this toolkit trains on a CPU or one GPU). */
export const CONFIG_BOUNDS = Object.freeze({ imageSize: 4096, channels: 64, patchSize: 1024, dim: 16384, depth: 256, heads: 1024, mlpDim: 65536, numClasses: 100000 });

/**
 * Check a stored config against the file's own tensor shapes (PyTorch layout) and `CONFIG_BOUNDS` before the
 * model is built: patch embedding `[dim, channels, P, P]`, `depth` blocks with `mlp.fc1` `[mlpDim, dim]`,
 * head `[numClasses, dim]` (the full name and shape check follows). Reads only shapes: microseconds.
 */
function checkConfigAgainstTensors(path: string, c: ViTConfig, contents: SafetensorsContents): void {
  for (const [field, max] of Object.entries(CONFIG_BOUNDS)) {
    const v = c[field as keyof ViTConfig] as number;
    if (v > max) throw new Error(`Checkpoint ${path}: vit_config.${field} is ${v}, above the sane bound ${max}; the metadata is damaged or forged.`);
  }
  const expect: Array<[string, number[]]> = [
    ['patch_embed.proj.weight', [c.dim, c.channels, c.patchSize, c.patchSize]],
    [`blocks.${c.depth - 1}.mlp.fc1.weight`, [c.mlpDim, c.dim]],
    ['head.weight', [c.numClasses, c.dim]],
  ];
  for (const [name, shape] of expect) {
    const e = contents.tensors.get(name);
    if (!e) throw new Error(`Checkpoint ${path}: vit_config (depth ${c.depth}) needs tensor "${name}", which the file lacks; the metadata does not describe these weights.`);
    if (!tf.util.arraysEqual(e.shape, shape)) {
      throw new Error(`Checkpoint ${path}: vit_config says "${name}" is [${shape}] (dim ${c.dim}, mlpDim ${c.mlpDim}, channels ${c.channels}, patchSize ${c.patchSize}, numClasses ${c.numClasses}) but the file stores [${e.shape}]; the metadata does not describe these weights.`);
    }
  }
  if (contents.tensors.has(`blocks.${c.depth}.norm1.weight`)) throw new Error(`Checkpoint ${path}: the file holds more than the ${c.depth} blocks its vit_config says.`);
}

/** Assign stored PyTorch-layout values to variables (after every check has passed). */
function assignAll(values: Array<[tf.Variable, Float32Array, number[], ParamLayout]>): void {
  for (const [v, data, shape, layout] of values) {
    tf.tidy(() => v.assign(fromTorchLayout(tf.tensor(data, shape, 'float32'), layout)));
  }
}

/**
 * A new ViT from a backbone file's decoded contents (config from the file's metadata, or `options.config`);
 * `path` names the file in errors. Checks names, shapes and dtypes, and that the stored fingerprint matches the
 * weights (a corrupted file fails).
 */
export function decodeBackbone(contents: SafetensorsContents, path: string, options: LoadBackboneOptions = {}): ViT {
  const meta = contents.metadata;
  if (meta.format !== undefined && meta.format !== BACKBONE_FORMAT) {
    throw new Error(`Checkpoint ${path} is a "${meta.format}" file, not a backbone; use loadAdapter() for adapters.`);
  }
  const stored = parseJson<ViTConfig>(path, meta, 'vit_config') ?? options.config;
  if (!stored) throw new Error(`Checkpoint ${path} has no vit_config metadata; pass loadBackbone(path, { config }).`);
  validateViTConfig(stored);
  // Before any allocation: a config that lies (dim 1e9 in a 562 KB file) must fail here, not after gigabytes.
  checkConfigAgainstTensors(path, stored, contents);
  const model = createViT(stored, { seed: options.seed ?? 0 });
  try {
    checkNames(path, contents, [...model.params.keys()], 'Is this a tpp-lab / timm ViT backbone of the same depth?');
    const values: Array<[tf.Variable, Float32Array, number[], ParamLayout]> = [];
    for (const [name, v] of model.params) {
      const layout = model.layouts.get(name)!;
      const shape = torchShape(v.shape, layout, stored.patchSize, stored.channels);
      values.push([v, checkTensor(path, contents, name, shape), shape, layout]);
    }
    if (meta.fingerprint !== undefined) {
      const arrays = new Map(values.map(([, data, shape], i) => [[...model.params.keys()][i], { shape, data }]));
      const actual = fingerprintOf(arrays, HEAD_PARAMS);
      if (actual !== meta.fingerprint) {
        throw new Error(`Checkpoint ${path}: its weights do not match its stored fingerprint (file corrupted or edited): stored ${meta.fingerprint}, computed ${actual}.`);
      }
    }
    assignAll(values);
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (options.numClasses !== undefined && options.numClasses !== stored.numClasses) {
    try {
      return withNewHead(model, options.numClasses, options.seed ?? 0);
    } finally {
      model.dispose();
    }
  }
  return model;
}

/**
 * A task head other than the ViT's classification head, saved in its place (e.g. a segmentation head): its
 * tensors in PyTorch layout (names must not clash with the target parameters; `saveAdapter` disposes them) and
 * extra `__metadata__` entries (its config).
 */
export interface OtherHead {
  tensors: Map<string, tf.Tensor>;
  metadata: Record<string, string>;
}

/** Name prefixes of other heads' tensors, which `loadAdapter(..., { head: false })` skips. */
export const OTHER_HEAD_PREFIXES = ['seg_head.'] as const;

/**
 * An adapter file's bytes: target parameters + head, the PEFT and ViT configs, the backbone fingerprint,
 * metadata. `head`: another head whose tensors replace the classification head's (a segmentation head), or
 * `false` for none (a TPP adapter: its pretext never trains the classification head).
 */
export async function encodeAdapter(peft: PeftModel, metadata: CheckpointMetadata = {}, head?: OtherHead | false): Promise<EncodedCheckpoint> {
  if (peft.merged) throw new Error('saveAdapter: LoRA is merged into the backbone; call unmerge() before saving the adapter.');
  const fingerprint = await peft.fingerprint();
  const weights = peft.adapterWeights('torch');
  if (head !== undefined) {
    for (const n of HEAD_PARAMS) {
      weights.get(n)?.dispose();
      weights.delete(n);
    }
    if (head) for (const [n, t] of head.tensors) weights.set(n, t);
  }
  try {
    const bytes = encodeSafetensors(await torchTensors(weights), {
      format: ADAPTER_FORMAT,
      format_version: FORMAT_VERSION,
      vit_config: JSON.stringify(peft.base.config),
      peft_config: JSON.stringify(peft.config),
      fingerprint,
      metadata: JSON.stringify(metadata),
      ...(head ? head.metadata : {}),
    });
    const parameters = [...weights.values()].reduce((s, t) => s + t.size, 0);
    return { bytes, tensors: weights.size, parameters, fingerprint };
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** Field-by-field differences of two flat JSON objects, as `field: a vs b`. */
function differences(a: object, b: object): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys) {
    const va = JSON.stringify((a as Record<string, unknown>)[k]);
    const vb = JSON.stringify((b as Record<string, unknown>)[k]);
    if (va !== vb) out.push(`${k}: ${va ?? 'absent'} in file vs ${vb ?? 'absent'} in model`);
  }
  return out;
}

/** Options of `loadAdapter`. */
export interface LoadAdapterOptions {
  /**
   * Load the stored head too (default true). Fine-tuning from a TPP adapter passes false: the target parameters
   * come from the file and the task head stays the fresh one of the target model (its class count may differ).
   * With false, another head's tensors (`OTHER_HEAD_PREFIXES`, e.g. a segmentation head) are skipped too.
   */
  head?: boolean;
}

/**
 * Load an adapter file's decoded contents onto a backbone (`path` names the file in errors). With a `ViT`, the
 * file's PEFT config is applied to it (BitFit and full fine-tuning then overwrite backbone tensors in place);
 * with a `PeftModel`, its config must equal the file's. Fails with an Error naming the mismatch (ViT config,
 * PEFT config, backbone fingerprint, tensor names, shapes or dtypes) and how to fix it.
 */
export async function decodeAdapter(contents: SafetensorsContents, path: string, target: ViT | PeftModel, options: LoadAdapterOptions = {}): Promise<PeftModel> {
  const withHead = options.head ?? true;
  const meta = contents.metadata;
  if (meta.format !== ADAPTER_FORMAT) {
    throw new Error(`Checkpoint ${path} is not a tpp-lab adapter (format ${JSON.stringify(meta.format ?? null)}); use loadBackbone() for backbones.`);
  }
  if (withHead && meta.seg_head_config !== undefined) {
    throw new Error(`Checkpoint ${path} holds a segmentation head, not a classification head: open it with loadSegAdapter(), or pass { head: false } to load only the target parameters.`);
  }
  if (withHead && !HEAD_PARAMS.some((n) => contents.tensors.has(n))) {
    throw new Error(`Checkpoint ${path} holds no task head (a TPP adapter: target parameters only): pass { head: false } to load them under a task head of your own (as fine-tuning with --init does).`);
  }
  const fileVit = parseJson<ViTConfig>(path, meta, 'vit_config');
  const filePeft = parseJson<PeftConfig>(path, meta, 'peft_config');
  if (!fileVit || !filePeft || !meta.fingerprint) throw new Error(`Checkpoint ${path} lacks vit_config, peft_config or fingerprint metadata.`);
  validatePeftConfig(filePeft);
  const backbone = target instanceof PeftModel ? target.base : target;
  // Without the head, the class count may differ (a TPP adapter fine-tuned on a new task).
  const vitDiff = differences(withHead ? fileVit : { ...fileVit, numClasses: backbone.config.numClasses }, backbone.config);
  if (vitDiff.length) {
    throw new Error(`ViT config mismatch loading adapter ${path}: ${vitDiff.join('; ')}. Create the backbone with the file's config (readCheckpointInfo(path).vitConfig).`);
  }
  if (target instanceof PeftModel) {
    const peftDiff = differences(filePeft, target.config);
    if (peftDiff.length) {
      throw new Error(`PEFT config mismatch loading adapter ${path}: ${peftDiff.join('; ')}. Pass the plain backbone to loadAdapter() to apply the file's config, or build the model with it.`);
    }
  }
  // Applied first, so the fingerprint is computed once (a PeftModel knows it as of apply time).
  const peft = target instanceof PeftModel ? target : applyPeft(backbone, filePeft);
  try {
    const fingerprint = await peft.fingerprint();
    if (fingerprint !== meta.fingerprint) {
      throw new Error(`Backbone fingerprint mismatch loading adapter ${path}: the adapter was trained on backbone ${meta.fingerprint}, this backbone is ${fingerprint}. Load the backbone it was trained on (loadBackbone on that file) first.`);
    }
    const trainable = withHead ? peft.trainableParameters() : peft.targetParameters();
    const expected = [...trainable.keys()];
    // Without the head, the file's head tensors are expected but not loaded.
    const isHead = (n: string) => (HEAD_PARAMS as readonly string[]).includes(n) || OTHER_HEAD_PREFIXES.some((p) => n.startsWith(p));
    const names = withHead ? expected : [...expected, ...[...contents.tensors.keys()].filter(isHead)];
    checkNames(path, contents, names, 'The file does not match this PEFT config.');
    const values: Array<[tf.Variable, Float32Array, number[], ParamLayout]> = [];
    for (const [name, v] of trainable) {
      const layout = peft.layoutOf(name);
      const shape = torchShape(v.shape, layout, backbone.config.patchSize, backbone.config.channels);
      values.push([v, checkTensor(path, contents, name, shape), shape, layout]);
    }
    assignAll(values);
  } catch (e) {
    if (peft !== target) peft.dispose();
    throw e;
  }
  return peft;
}

/** Facts about a checkpoint from its header alone: kind, configs, fingerprint, metadata, tensor count; `size`: its bytes. */
export function checkpointInfo(header: SafetensorsHeader, size: number, path: string): CheckpointInfo {
  const meta = header.metadata;
  let parameters = 0;
  for (const e of header.entries.values()) parameters += e.shape.reduce((a, b) => a * b, 1);
  const kind = meta.format === BACKBONE_FORMAT ? 'backbone' : meta.format === ADAPTER_FORMAT ? 'adapter' : 'unknown';
  return {
    kind,
    fileBytes: size,
    tensors: header.entries.size,
    parameters,
    vitConfig: parseJson<ViTConfig>(path, meta, 'vit_config'),
    peftConfig: parseJson<PeftConfig>(path, meta, 'peft_config'),
    fingerprint: meta.fingerprint ?? null,
    metadata: parseJson<CheckpointMetadata>(path, meta, 'metadata') ?? {},
  };
}

/** `checkpointInfo` of a whole checkpoint held in memory (`where` names it in errors). */
export function checkpointInfoOf(bytes: Uint8Array, where: string): CheckpointInfo {
  return checkpointInfo(decodeSafetensorsHeader(bytes, where), bytes.byteLength, where);
}
