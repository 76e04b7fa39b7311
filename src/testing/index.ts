/**
 * Conformance suites: the checks freshml holds its own learners and stores
 * to, for yours too. Framework-agnostic: each check is a plain function that
 * throws (or rejects) on failure.
 *
 * @packageDocumentation
 */
export { assertLearnerConformance, learnerChecks, type ConformanceCheck, type LearnerCheckOptions } from "./learner-checks.js";
export { storeChecks, type AsyncConformanceCheck, type StoreCheckOptions } from "./store-checks.js";
export { runHistoryChecks, sampleReport, type RunHistoryCheckOptions } from "./run-history-checks.js";
export { FakeClock } from "./fake-clock.js";
