/** The ViT backbone: config and presets, the model, patchify, layouts, fingerprint, the parameter store, op sites, building blocks. */
export * from './config';
export * from './vit';
export * from './patches';
export * from './hooks';
export * from './layout';
export { backboneFingerprint, backboneFingerprintSync, fingerprintOf, fingerprintOfParams } from './fingerprint';
export { linear, matMul2d, gelu, layerNorm, LAYER_NORM_EPS } from './dense';
export { withNewHead } from './head';
export { ParamStore, type Init, type ParamOptions } from './params';
export { blockSites, vitOpSites, type OpSite } from './sites';
