/**
 * The library core, the part that runs in a web page as well as in Node: data formats and datasets, the ViT and
 * MAE model, PEFT methods, the training step and stages, the comparison grid, analysis and figures. The browser
 * workshop bundles this file; test/core-browser.test.ts bundles it for the browser and fails on any Node
 * built-in it reaches. `src/index.ts` stays the Node entry: the same core plus the Node-only parts (files,
 * processes, the CLI, reports written to disk, the tslab display).
 */
export { initBackend, parseBackendName, tf, BACKEND_ORDER, type BackendName, type BackendReport, type InitBackendOptions } from './backend';
export { adapterLabel, type WebGpuAdapterInfo } from './webgpu-start';
export { readAll, readScalar, toArray, hostFastPaths } from './tensor-io';
export { Sha256, sha256Tag } from './hash/sha256';

export * from './data/index';
export { medmnistSplitsFromBytes, type MedMNISTDataset, type Split } from './data/sources/medmnist-read';
export { inflateRaw, inflateRawStream, inflateZlib, gunzip, InflateError, InflateLimitError } from './data/formats/inflate';
export { crc32 } from './data/formats/crc32';
export { decodePng, type DecodedPng } from './data/formats/png-read';
export { encodePng } from './data/formats/png-write';
export { checkImagesFit, fitToBackbone } from './data/sets/fit';
export { datasetFromImageFiles, type ImageFile, type ImageFilesResult } from './data/sets/image-files';
export { readDicom, readDicomTags, DicomError, type DicomImage, type DicomTags, type ReadDicomOptions } from './data/dicom/dicom';
export { WINDOW_PRESETS, parseWindow, windowToUint8, type Window, type WindowSpec } from './data/dicom/dicom-window';
export { pixelStats, type PixelStats } from './data/dicom/dicom-pixels';
export { foregroundFractions, numSegExamples, segImages, segLabelBudget, segSubset, type Masks, type SegDataset, type SegSplits } from './data/sets/segmentation';

export * from './model/index';
export { createMAE, DECODER_PRESETS, type DecoderConfig, type MAE } from './model/mae';
export { createSegHead, SEG_HEAD_KINDS, SegHead, type SegHeadConfig, type SegHeadKind } from './model/seg-head';
export { useOwnKernels, ownKernelsActive } from './kernels/wasm';

export * from './peft/index';
export {
  ADAPTER_FORMAT, BACKBONE_FORMAT, checkpointInfo, checkpointInfoOf, decodeAdapter, decodeBackbone, encodeAdapter, encodeBackbone, OTHER_HEAD_PREFIXES,
  type CheckpointInfo, type CheckpointMetadata, type EncodedCheckpoint, type LoadAdapterOptions, type LoadBackboneOptions, type OtherHead,
} from './checkpoint/checkpoint';
export { DECODER_FORMAT, decodeDecoder, encodeDecoder } from './checkpoint/decoder';
export { decodeSegAdapter, encodeSegAdapter, type LoadedSegAdapter } from './checkpoint/seg-adapter';
export { decodeSafetensors, decodeSafetensorsHeader, encodeSafetensors, entryToFloat32, type SafetensorsContents, type SafetensorsEntry, type TensorToWrite } from './checkpoint/safetensors';

export { AdamW, clipByGlobalNorm, defaultNoDecay, type AdamWOptions } from './step/optimizer';
export { computeGradients, trainStep, NonFiniteLossError, type LossAndGrads, type StepSettings } from './step/step';
export { epochSeed, stepSeed } from './step/seed';

export { normalizationFrom, type StageRunOptions, type WorkerOptions } from './train/common';
export { type GradientSource, type StartWorkers } from './parallel/gradients';
export { STAGE_DEFAULTS, type StageDefaults, type StageName } from './train/defaults';
export { pretrainMAE, maeLoss, type PretrainOptions, type PretrainResult } from './train/pretrain';
export { targetParameterPretrain, type TppOptions, type TppResult } from './train/tpp';
export { sharedTppAdapter, tppSettings, type SharedTppOptions, type SharedTppResult } from './train/tpp-shared';
export { PRETEXT_NAMES, type PretextName } from './train/pretext';
export { finetune, evaluateModel, type FinetuneOptions, type FinetuneResult } from './train/finetune';
export { headSize, scoresFromLogits, taskKind, taskLoss } from './train/objective';
export { evaluate, type Metrics, type TaskKind } from './train/metrics';
export { finetuneSegmentation, segForward, type SegFinetuneOptions, type SegFinetuneResult } from './train/segment';
export { ellipsePerimeter, fitEllipse, hd95, headCircumference, overlap, segScores, type SegScores } from './train/seg-metrics';
export { fitSegToBackbone } from './data/sets/fit';
export { emptyMaskBaseline, evaluateSegmentation, predictSegMasks, scoreSegMasks, type SegEvaluation } from './train/seg-objective';
export { CHECKPOINT_FILE, fit, type FitResult, type FitSpec, type EpochRecord, type TrainProgress } from './train/loop';
export { canonicalJson, datasetFingerprint, describeDiff, settingsDiff, settingsFingerprint, RESULTS_VERSION } from './train/settings-fingerprint';
export { checkRecord, settingsRecord, type RecordCheck, type RecordState, type SettingsRecord } from './train/settings-record';
export { runCompare, methodSizes, readCell } from './grid/run';
export { summarize, summarizeSegmentation, type SummaryRow } from './grid/summary';
export { cellResult, type Arm, type ArmTpp, type CellResult, type CompareGrid, type CompareProgress, type GridBudget } from './grid/types';
export { budgetLabel, planCompare, tppImages } from './grid/plan';
export { type GridSources, type OpenedBackbone } from './grid/sources';
export { openWith, checkDicomLoad, type LoadData, type OpenDataOptions } from './data/sources/open-with';
export { GRID_BACKBONE, SEGMENTATION_BACKBONE, otherArms, type ArmTppSettings, type GridSettings } from './grid/settings';
export { gridMethod, gridMethods, type GridMethod } from './grid/methods';
export { buildGrid, gridBackbone, loadTarget, type BuildGridOptions, type BuiltGrid } from './grid/build';
export { runGrid, runGridTask, type GridRun, type RunGridOptions, type TaskRunner } from './grid/comparison';
export { mergeShards, readGridFile, type GridFile } from './grid/grid-file';
export { targetSettings, referenceSettings } from './grid/study';
export { demoSettings } from './grid/demo';
export { parseStudyPlan, validateStudyPlan, type StudyPlan, type StudyTarget } from './grid/study-plan';
export { memoryStore, namedBytes, subStore, whereIs, type FileStore, type GridStore, type NamedBytes } from './io/store';

export { imageStats, poolDistance, sampleImages, surprise, targetNumbers, type PoolStats, type TargetNumbers } from './regime/domain';
export { fitRidge, leaveOneTargetOut, meanDelta, predictDelta, predictWithInterval, spearman, validate, FEATURES, PREDICTOR_DESIGNS, STUDY_DOSE, modelInputs, type PredictorDesign, type IntervalPrediction, type FrozenPredictor, type HeldOutPrediction, type RegimeSetting, type RidgeModel, type Validation } from './regime/predictor';
export { measureTarget, predictRows, predictTarget, predictorGrid, checkFrozenPredictor, type CandidatePool, type PredictionRow, type TargetMeasurement, type TargetPrediction } from './regime/predict';
export { firstOfEach, regimeSettings, type ArmDoses, type MeasuredSetting } from './regime/settings';
export { contrastRows, longerDose, parseCsvRows, LONGER_DOSE_ARMS, type CsvRow, type LongerDose } from './report/study-csv';
export { doseTable, KNEE_POOL_OF_ARM, type ArmDose } from './regime/tables';
export { featureStats, frechetDistance, type FeatureStats } from './analysis/frechet';

export { meanStd, pairedSentence, pairedSummary, signed, type PairedSummary } from './analysis/paired';
export { knnProbe, knnProbeScores, linearProbe, linearProbeScores, pooledFeatures, probeEstimate, probeMetric, probeMetrics, type Features, type FeatureSource, type KnnOptions, type LinearProbeOptions } from './train/probe';
export { bootstrap, type BootstrapOptions, type Estimate } from './analysis/bootstrap';
export { linearCka, type FeatureMatrix } from './analysis/cka';
export { loraCosine, loraSingularValues, loraUpdateRows, pairLoraFactors, type LoraFactors, type LoraUpdateRow, type PlainTensor } from './analysis/lora-svd';

export * from './viz/index';
