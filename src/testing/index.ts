/**
 * Conformance suites: the checks freshml holds its own learners to, for your
 * learners (and, later, stores) too. Framework-agnostic: each check is a
 * plain function that throws on failure.
 *
 * @packageDocumentation
 */
export { assertLearnerConformance, learnerChecks, type ConformanceCheck, type LearnerCheckOptions } from "./learner-checks.js";
