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
export { Featurizer, type FeatureLayout, type Featurized, type FeaturizerJSON, type FieldJSON, type ImputeJSON } from "./preprocessing/featurizer.js";

export type { ClassesParams } from "./learners/classes.js";
export { isClassifier, type Classifier, type ColumnKind, type Task, type Trainer, type TrainerJSON } from "./learners/trainer.js";
export { builtinTrainers, restoreTrainer, type TrainerRegistry } from "./learners/registry.js";
export { LinearRegression, type LinearCoefficients, type LinearRegressionParams } from "./learners/linear-regression.js";
export { RecursiveLeastSquares, type RecursiveLeastSquaresParams } from "./learners/recursive-least-squares.js";
export { SGDRegressor, type SGDRegressorParams } from "./learners/sgd-regressor.js";
export { SGDClassifier, type SGDClassifierParams } from "./learners/sgd-classifier.js";
export type { LearningRate, SGDParams, StandardizeOptions } from "./learners/sgd-common.js";
export { LogisticRegression, type ClassWeight, type LogisticCoefficients, type LogisticRegressionParams } from "./learners/logistic-regression.js";
export { GaussianNB, type ClassMoments, type GaussianNBParams } from "./learners/gaussian-nb.js";
export { MeanRegressor } from "./learners/mean-regressor.js";
export { LastValueRegressor } from "./learners/last-value-regressor.js";
export { MajorityClassifier } from "./learners/majority-classifier.js";
export { LastClassClassifier } from "./learners/last-class-classifier.js";
export { FullRefitLinearRegression, type FullRefitParams } from "./learners/full-refit-linear.js";
export { FullRefitPolynomialRegression, type FullRefitPolynomialParams } from "./learners/full-refit-polynomial.js";

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

export { VERSION } from "./version.js";
export { tableFromMatrix, categoricalFromNumbers, type Table, type Column, type NumericColumn, type CategoricalColumn } from "./validate/table.js";
export {
  describeIssue,
  issue,
  runValidators,
  type ColumnDriftScore,
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
export { qualityChecks, type LabelBalanceOptions, type LearnRangesOptions, type QualityOptions } from "./validate/quality.js";
export { driftCheck, type DriftCheckOptions } from "./validate/drift-check.js";
export { schemaValidator, type FieldSpec, type SchemaCheckResult, type SchemaValidator, type SchemaValidatorOptions } from "./validate/schema.js";
export { ksTwoSample, ksStatistic, ksExactPValue, type KsResult } from "./validate/tests/ks.js";
export { chiSquaredGoodnessOfFit, type ChiSquaredResult } from "./validate/tests/chi-squared.js";
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
  type UnreadableVersion,
  type VersionPage,
} from "./store/model-store.js";
export { MemoryModelStore } from "./store/memory-model-store.js";
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
export { ServingModel, loadModel } from "./pipeline/serving.js";
export { DEFAULT_SANITY, type SanityOptions } from "./pipeline/sanity.js";
export { type AutoCandidateJSON, type AutoMemoryJSON, type AutoOptions, type AutoPolicy, type AutoSettings, type MemoryChoice } from "./pipeline/auto.js";
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
} from "./history/run-history.js";
export { renderReport, type ReferenceSeries, type ReportOptions } from "./report/render.js";
export { renderStoreReport, type StoreReportOptions } from "./report/store-report.js";
