/**
 * tpp-lab's public API in one import (package.json's `main`), for notebooks and users:
 *
 * ```ts
 * import { initBackend, loadMedMNISTSplits, openBackbone, peftConfig, applyPeft, finetune } from './src/index';
 * ```
 *
 * Layers: the backend; data (datasets, splits, batches, MedMNIST, DICOM, data by name); the ViT and MAE model;
 * PEFT methods (`peftConfig`, `applyPeft`, the method registry and its options); checkpoints and backbones; the
 * three training stages; the grid and the study (src/grid); analysis; figures. Not here: `viz/notebook` (`show`, `showHtml`,
 * `markdown`: they need the tslab kernel, import them from `./src/viz/notebook`) and the CLI (`src/cli`).
 */
export { initBackend, parseBackendName, tf, BACKEND_ORDER, type BackendName, type BackendReport, type InitBackendOptions } from './backend';
export { byProfile, profile, type Profile } from './profile';
export { hostFastPaths, readAll, readScalar, toArray } from './tensor-io';

export * from './data/index';
export * from './io/sources/index';
export { loadData, type DataSplits, type LoadDataOptions } from './io/sources/load';
export { openData, type OpenDataOptions } from './io/sources/open';
export { openWith, type LoadData } from './data/sources/open-with';
export { prepareSplits, fitImages, type Splits, type PrepareOptions, type NoteLevel } from './data/sets/prepare';
export { checkImagesFit, fitSegToBackbone, fitToBackbone } from './data/sets/fit';
export { DicomError, type DicomImage, type DicomTags, type ReadDicomOptions } from './data/dicom/dicom';
export { readDicom, readDicomBytes, readDicomTags } from './io/dicom-file';
export { listFilesSorted, loadDicomDataset, summarizeFailures, type DicomDatasetOptions, type DicomFailure, type DicomLoadResult } from './io/dicom-dataset';
export { WINDOW_PRESETS, parseWindow, windowToUint8, type Window, type WindowSpec } from './data/dicom/dicom-window';
export { pixelStats, type PixelStats } from './data/dicom/dicom-pixels';

export * from './model/index';
export { createMAE, DECODER_PRESETS, type DecoderConfig, type MAE } from './model/mae';

export * from './peft/index';

export * from './io/index';
export { BUNDLED_BACKBONE_DIR, backbonePaths, openBackbone, type BackbonePaths } from './io/backbone';
export { loadDecoder, saveDecoder } from './io/decoder';
export { DECODER_FORMAT, decodeDecoder, encodeDecoder } from './checkpoint/decoder';
export { decodeSegAdapter, encodeSegAdapter, type LoadedSegAdapter } from './checkpoint/seg-adapter';
export { fileBytes, optionalFileBytes, stageFiles } from './io/stage-files';
export { startWorkerGradients } from './parallel/workers';
export { type StartWorkers } from './parallel/gradients';
export { encodePng } from './data/formats/png-write';
export { SiteRegistry, type SiteEntry } from './io/site-registry';

export { normalizationFrom, type StageRunOptions, type WorkerOptions } from './train/common';
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
export { isSegmentationData, loadSegData } from './io/sources/seg-source';
export { foregroundFractions, numSegExamples, segImages, segLabelBudget, segSubset, type Masks, type SegDataset, type SegSplits } from './data/sets/segmentation';
export { emptyMaskBaseline, evaluateSegmentation, predictSegMasks, scoreSegMasks, type SegEvaluation } from './train/seg-objective';
export { createSegHead, SEG_HEAD_KINDS, SegHead, type SegHeadConfig, type SegHeadKind } from './model/seg-head';
export { loadSegAdapter, saveSegAdapter } from './io/seg-checkpoint';
export { CHECKPOINT_FILE, fit, NonFiniteLossError, type FitResult, type FitSpec, type EpochRecord, type TrainProgress } from './train/loop';
export { checkRecord, settingsRecord, type RecordCheck, type RecordState, type SettingsRecord } from './train/settings-record';
export { runCompare, methodSizes, readCell } from './grid/run';
export { summarize, summarizeSegmentation, type SummaryRow } from './grid/summary';
export { cellResult, type Arm, type ArmTpp, type CellResult, type CompareGrid, type CompareProgress, type GridBudget } from './grid/types';
export { budgetLabel, planCompare, tppImages } from './grid/plan';
export { buildGrid, gridBackbone, loadTarget } from './grid/build';
export { type GridSources, type OpenedBackbone } from './grid/sources';
export { nodeGridSources } from './io/grid-sources';
export { GRID_BACKBONE, SEGMENTATION_BACKBONE, otherArms, type ArmTppSettings, type GridSettings } from './grid/settings';
export { gridMethod, gridMethods, type GridMethod } from './grid/methods';
export { runGrid, runGridTask, type GridRun, type RunGridOptions, type TaskRunner } from './grid/comparison';
export { mergeShards, readGridFile, type GridFile } from './grid/grid-file';
export { targetSettings, referenceSettings, targetGrids, targetCells } from './grid/study';
export { demoSettings, DEMO_STUDY } from './grid/demo';
export { parseStudyPlan, validateStudyPlan, type StudyPlan, type StudyTarget } from './grid/study-plan';
export { readStudyPlan } from './grid/study-plan-file';
export { folderStore } from './io/folder-store';
export { memoryStore, namedBytes, subStore, whereIs, type FileStore, type GridStore, type NamedBytes } from './io/store';
export { forestFigure, studyContrasts, type ContrastRow } from './report/study-report';
export { baselineMarkdown, contrastRows, longerDose, LONGER_DOSE_ARMS, pooledRows, pooledTable, questionOneTable, questionTwoTable, readCsvRows, studyBlocks, type CsvRow, type LongerDose, type PooledRow } from './report/study-tables';
export { writeCompareReport, aucBarsFigure, curvesFigure, pairedFigure, summaryTableHtml } from './report/compare-report';

export { meanStd, pairedSentence, pairedSummary, signed, type PairedSummary } from './analysis/paired';
export { knnProbe, knnProbeScores, linearProbe, linearProbeScores, pooledFeatures, probeEstimate, probeMetric, probeMetrics, type Features, type FeatureSource, type KnnOptions, type LinearProbeOptions } from './train/probe';
export { bootstrap, type BootstrapOptions, type Estimate } from './analysis/bootstrap';
export { linearCka, type FeatureMatrix } from './analysis/cka';
export { diagnoseTarget, type CellShift, type DiagnoseOptions, type DiagnoseProgress, type DiagnosticRow, type TppAdapterFile } from './grid/diagnose';
export { fileTensors, loraScale, parameterChanges, peftTensors, snapshotBackbone, snapshotTensors, type ParamChange } from './analysis/params';
export { featureStats, frechetDistance, type FeatureStats } from './analysis/frechet';
export { symmetricEigen, symmetricEigenvalues, type SymmetricEigen } from './analysis/linalg';
export { loraCosine, loraSingularValues, loraUpdateRows, pairLoraFactors, type LoraFactors, type LoraUpdateRow, type PlainTensor } from './analysis/lora-svd';

export { imageStats, poolDistance, sampleImages, surprise, targetNumbers, type PoolStats, type TargetNumbers } from './regime/domain';
export { fitRidge, leaveOneTargetOut, meanDelta, predictDelta, predictWithInterval, spearman, validate, FEATURES, PREDICTOR_DESIGNS, STUDY_DOSE, modelInputs, type PredictorDesign, type IntervalPrediction, type FrozenPredictor, type HeldOutPrediction, type RegimeSetting, type RidgeModel, type Validation } from './regime/predictor';
export { measureTarget, predictRows, predictTarget, predictorGrid, type CandidatePool, type PredictionRow, type TargetMeasurement, type TargetPrediction } from './regime/predict';
export { firstOfEach, regimeSettings, type ArmDoses, type MeasuredSetting } from './regime/settings';
export { capacityRows, capacityTable, doseTable, KNEE_POOL_OF_ARM, type ArmDose, type CapacityRow, type TargetCell } from './regime/tables';
export { LEFT_OUT_ARMS, measureData, predictData, readArmDoses, readGridCells, readPoolStats, readPredictor, readRegimeSettings, REGIME_SOURCES, SHIPPED_PREDICTOR, type DataMeasurement, type DataPrediction, type MeasureDataOptions, type PredictDataOptions } from './regime/open';

export * from './viz/index';
export { matmulGflops } from './bench/matmul';
