/** The ViT backbone: config and presets, the model, patchify, layouts, fingerprint, building blocks. */
export * from './config';
export * from './vit';
export * from './patches';
export * from './hooks';
export * from './layout';
export { backboneFingerprint, backboneFingerprintSync, fingerprintOf, fingerprintOfParams } from './fingerprint';
export { linear, matMul2d, gelu, layerNorm, LAYER_NORM_EPS } from './dense';
export { withNewHead } from './head';
