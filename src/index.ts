/**
 * freshml — keep machine-learning models fresh. The core entry point runs
 * anywhere JavaScript runs (no Node built-ins); Node-only parts live in
 * `freshml/node` and conformance suites in `freshml/testing`.
 *
 * @packageDocumentation
 */
export { FreshmlError, isFreshmlError, type FreshmlErrorCode, type FreshmlErrorDetails, type FreshmlErrorJSON } from "./core/errors.js";
export { assertFiniteFeatures, checkBatch, isCheckedBatch, readBatch, readFeatures, sliceCheckedBatch, type CheckedBatch, type ReadBatchOptions, type Batch, type DenseBatch, type DenseFeatures, type FeatureInput, type FlatFeatures, type Rows, MAX_BATCH_VALUES } from "./core/batch.js";
export { SeededRandom } from "./core/random.js";
export { OnlineStandardScaler, type StandardScalerJSON, type StandardScalerOptions } from "./preprocessing/standard-scaler.js";
export {
  Featurizer,
  selectFeaturized,
  type FeatureLayout,
  type Featurized,
  type FeaturizerJSON,
  type FeaturizerJSONv1,
  type FeaturizerOptions,
  type FieldCount,
  type FieldJSON,
  type FieldPreprocessing,
  type FieldRows,
  type FieldStateJSON,
  type ImputeJSON,
  type MissingStrategy,
  type OneHotEncoding,
  type UnseenPolicy,
} from "./preprocessing/featurizer.js";
export { QuantileSketch, DEFAULT_SKETCH_K, type QuantileSketchJSON } from "./preprocessing/quantile-sketch.js";

export type { ClassesParams } from "./learners/classes.js";
export { isClassifier, type Classifier, type ColumnKind, type Task, type Trainer, type TrainerJSON } from "./learners/trainer.js";
export { builtinTrainers, restoreTrainer, type TrainerRegistry } from "./learners/registry.js";
export { LinearRegression, type LinearCoefficients, type LinearRegressionParams } from "./learners/linear-regression.js";
export { RecursiveLeastSquares, type RecursiveLeastSquaresParams } from "./learners/recursive-least-squares.js";
export { SGDRegressor, type SGDRegressorParams } from "./learners/sgd-regressor.js";
export { SGDClassifier, type SGDClassifierParams } from "./learners/sgd-classifier.js";
export type { LearningRate, SGDParams } from "./learners/sgd-common.js";
export type { StandardizeOptions } from "./learners/standardize.js";
export { LogisticRegression, type ClassWeight, type LogisticCoefficients, type LogisticRegressionParams } from "./learners/logistic-regression.js";
export { GaussianNB, type ClassMoments, type GaussianNBParams } from "./learners/gaussian-nb.js";
export { MeanRegressor } from "./learners/mean-regressor.js";
export { LastValueRegressor } from "./learners/last-value-regressor.js";
export { MajorityClassifier } from "./learners/majority-classifier.js";
export { LastClassClassifier } from "./learners/last-class-classifier.js";
export { FullRefitLinearRegression, type FullRefitParams } from "./learners/full-refit-linear.js";
export { FullRefitPolynomialRegression, type FullRefitPolynomialParams } from "./learners/full-refit-polynomial.js";
export {
  HoeffdingTreeClassifier,
  type HoeffdingLeafPrediction,
  type HoeffdingTreeClassifierParams,
  type HoeffdingTreeSize,
} from "./learners/hoeffding-tree-classifier.js";
export { HoeffdingTreeRegressor, type HoeffdingTreeRegressorParams } from "./learners/hoeffding-tree-regressor.js";

export { type Metric, type MetricInput, type MetricJSON } from "./metrics/metric.js";
export { MAE } from "./metrics/mae.js";
export { RMSE } from "./metrics/rmse.js";
export { R2 } from "./metrics/r2.js";
export { Accuracy } from "./metrics/accuracy.js";
export { LogLoss } from "./metrics/log-loss.js";
export { MacroF1 } from "./metrics/macro-f1.js";
export { RocAuc } from "./metrics/roc-auc.js";
export { BalancedAccuracy } from "./metrics/balanced-accuracy.js";
export { createMetric, metricNames, metricTask, restoreMetric, type MetricName } from "./metrics/registry.js";

export { setSimdEnabled, simdEnabled } from "./core/wasm/load.js";
export { kernelInfo, type KernelInfo, type KernelName, type KernelPath } from "./core/kernel-info.js";

export { VERSION } from "./version.js";
export { tableFromMatrix, categoricalFromNumbers, type Table, type Column, type NumericColumn, type CategoricalColumn } from "./validate/table.js";
export {
  describeIssue,
  groupIssues,
  issue,
  restoreValidators,
  runValidators,
  saveValidators,
  type ColumnDriftScore,
  type DriftStatus,
  type GroupIssuesOptions,
  type IssueExample,
  type IssueGroup,
  type NonFiniteIssue,
  type ValidatorState,
  type DriftObservation,
  type LabelBalance,
  type OutOfRangeObservation,
  type Range,
  type WithMessage,
  type ConstantColumnIssue,
  type DistributionDriftIssue,
  type DriftReport,
  type DriftTest,
  type DuplicateRowsIssue,
  type LabelImbalanceIssue,
  type MissingColumnIssue,
  type MissingRateIssue,
  type OutOfRangeIssue,
  type SchemaIssue,
  type Severity,
  type TooFewRowsIssue,
  type ValidationContext,
  type ValidationIssue,
  type ValidationResult,
  type Validator,
} from "./validate/validator.js";
export {
  qualityChecks,
  type LabelBalanceOptions,
  type LearnRangesOptions,
  type LearnedRangeState,
  type QualityOptions,
  type QualityState,
  type ValueSketchState,
} from "./validate/quality.js";
export { driftCheck, robustNormedWasserstein, type DriftCheckOptions, type DriftCheckState, type DriftColumnState } from "./validate/drift-check.js";
export { schemaValidator, type FieldSpec, type SchemaCheckResult, type SchemaValidator, type SchemaValidatorOptions } from "./validate/schema.js";
export { ksTwoSample, ksStatistic, ksExactPValue, type KsResult } from "./validate/tests/ks.js";
export { chiSquaredGoodnessOfFit, chiSquaredHomogeneity, type ChiSquaredResult } from "./validate/tests/chi-squared.js";
export { fisherExact, type FisherExactResult } from "./validate/tests/fisher.js";
export { jensenShannonDistance } from "./validate/tests/jensen-shannon.js";
export { wassersteinDistance } from "./validate/tests/wasserstein.js";
export { psi, psiBins, psiOfShares, binShares } from "./validate/tests/psi.js";
export { chiSquaredSf, kolmogorovSf } from "./validate/tests/special.js";
export type { DriftDetector, DetectorJSON } from "./drift/detector.js";
export { ADWIN, type ADWINParams } from "./drift/adwin.js";
export { PageHinkley, type PageHinkleyParams } from "./drift/page-hinkley.js";
export { DDM, type DDMParams } from "./drift/ddm.js";
export { restoreDetector } from "./drift/registry.js";
export { DETECTOR_VALUE_LIMIT } from "./drift/common.js";
export { driftStream, type SyntheticStream } from "./drift/streams.js";
export {
  checkName,
  type AliasEvent,
  type CheckpointInput,
  type CheckpointRecord,
  type DataSummary,
  type ListOptions,
  type ModelRecord,
  type ModelRecordInput,
  type ModelStore,
  type ModelVersionSummary,
  type PruneOptions,
  type UnreadableVersion,
  type VerifyReport,
  type VersionPage,
} from "./store/model-store.js";
export { MemoryModelStore, type MemoryModelStoreOptions } from "./store/memory-model-store.js";
export { DEFAULT_ALIAS_HISTORY_LIMIT } from "./store/alias-book.js";
export {
  MemoryLease,
  type FenceOptions,
  type Lease,
  type LeaseAcquired,
  type LeaseAttempt,
  type LeaseGrant,
  type LeaseHolder,
  type LeaseOptions,
  type LeaseRefused,
  supportsFencing,
  type FencingModelStore,
} from "./store/lease.js";
export type { AliasChange, WatchOptions, Watcher } from "./store/watch.js";
export { supportsWatch, type WatchableModelStore } from "./store/watch.js";
export {
  Pipeline,
  type BatchQuarantinedEvent,
  type BatchSkippedEvent,
  type FieldName,
  type IdentifiedRows,
  type ResumeFrom,
  type RollbackResult,
  type BatchValidatedEvent,
  type CheckpointCadence,
  type CheckpointSavedEvent,
  type DriftDetectedEvent,
  type DriftReaction,
  type EveryKBatches,
  type ModelPromotedEvent,
  type ModelRejectedEvent,
  type RunFinishedEvent,
  type ShrinkWindow,
  type WindowPolicy,
  type NumericBatch,
  type PipelineEvent,
  type PipelineOptions,
  type Progress,
  type RetrainPolicy,
  type RunOptions,
  type SourceBatch,
} from "./pipeline/pipeline.js";
export { type EvaluationScores, type GateDecision, type GateMetric, type GateOptions } from "./pipeline/gate.js";
export { ServingModel, loadModel, type ServedRows } from "./pipeline/serving.js";
export { ChampionFollower, followChampion, type FollowOptions } from "./pipeline/serving.js";
export { DEFAULT_SANITY, type SanityOptions } from "./pipeline/sanity.js";
export { type AutoCandidateJSON, type AutoMemoryJSON, type AutoOptions, type AutoPolicy, type AutoSettings, type MemoryChoice } from "./pipeline/auto.js";
export { type AutoCopiesJSON, type AutoCopyJSON } from "./pipeline/auto.js";
export { type DeadLetter, type DeadLetterSink, type DroppedRows, type RowAction, type RowPolicy } from "./pipeline/rows.js";
export type {
  AcceptedBatchRecord,
  QuarantinedBatchRecord,
  BatchCounts,
  BatchRecord,
  BatchScores,
  Checkpoint,
  IssueSummary,
  MetricSeries,
  PrequentialScore,
  Promotion,
  RestorePoint,
  RowCounts,
  RunMetric,
  RunReport,
  SkippedBatch,
  StageTimes,
  StopPoint,
} from "./pipeline/report.js";
export { fingerprint } from "./core/fingerprint.js";
export type { AbortSignalLike, HostAbortSignal } from "./core/abort.js";
export { systemClock, type Clock, type TimerHandle } from "./schedule/clock.js";
export {
  Scheduler,
  type RetryOptions,
  type RunContext,
  type RunFailedEvent,
  type RunStartedEvent,
  type RunSucceededEvent,
  type SchedulerEvent,
  type SchedulerOptions,
  type SchedulerLeaseOptions,
  type SkippedEvent,
  type StoppedEvent,
  type TickEvent,
} from "./schedule/scheduler.js";
export { RowBuffer, anyOf, everyNRows, manual, onDrift, onMetricDecay, type MetricDecayOptions, type ObservingTrigger, type Trigger } from "./schedule/triggers.js";
export {
  MemoryRunHistory,
  recordRun,
  summarizeRun,
  RUN_SUMMARY_FORMAT,
  type BatchSpan,
  type DecisionPoint,
  type DriftMatrix,
  type QuarantineEvent,
  type QuarantineSummary,
  type RunHead,
  type RunHistory,
  type RunListOptions,
  type RunRetention,
  type RunSummary,
  type SummarizeOptions,
  type SummarySeries,
  RunSummaryBuilder,
  type MemorySeries,
} from "./history/run-history.js";
export { renderReport, type ReferenceSeries, type ReportOptions } from "./report/render.js";
export { renderStoreReport, type StoreReportOptions } from "./report/store-report.js";
