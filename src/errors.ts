// One small error hierarchy. Only the entry points (CLI, Lambda handler) map these to exit codes.

export const ExitCode = {
  ok: 0,
  failure: 1, // runtime failure: API error, probe failure, apply failed
  invalidInput: 2, // config, flags, environment: nothing sent, nothing written
  conflict: 3, // another invocation won the compare-and-swap: nothing applied
  deadline: 124, // the run's deadline passed before the decision was complete (as timeout(1))
  sigint: 130, // 128 + SIGINT: interrupted before the decision was complete
  sigterm: 143, // 128 + SIGTERM: likewise (pod eviction, a Job's activeDeadlineSeconds)
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorContext {
  [key: string]: unknown;
}

export class ScalerError extends Error {
  readonly code: string = 'SCALER_ERROR';
  readonly exitCode: ExitCode = ExitCode.failure;
  readonly context: ErrorContext;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** One problem found in the input: the field path, the value seen and what was expected. */
export interface FieldIssue {
  path: string;
  message: string;
}

const NOTHING_DONE = 'Nothing was sent or written.';

/** Bad configuration, flags or environment. Carries every problem found, not only the first. */
export class ConfigError extends ScalerError {
  override readonly code: string = 'INVALID_CONFIG';
  override readonly exitCode = ExitCode.invalidInput;
  readonly issues: FieldIssue[];

  /** `what` was invalid: the configuration, unless a subclass says otherwise. */
  constructor(issues: FieldIssue[], source?: string, what = 'configuration') {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    super(
      issues.length === 1
        ? `invalid ${what}${where}: ${lines[0]}. ${NOTHING_DONE}`
        : `invalid ${what}${where} (${issues.length} problems): ${lines.join('; ')}. ${NOTHING_DONE}`,
      { context: { source } },
    );
    this.issues = issues;
  }
}

/**
 * A command's own input that is not the configuration — a flag or an argument out of range, an output
 * file that exists, the command line itself: exit 2 like bad configuration (nothing sent or written),
 * said as what it is.
 */
export class InvalidArgumentError extends ConfigError {
  override readonly code: string = 'INVALID_ARGUMENT';

  constructor(issues: FieldIssue[], what = 'argument') {
    super(issues, undefined, what);
  }
}

/** Another invocation changed the state (or the target) between our read and our write. */
export class ConflictError extends ScalerError {
  override readonly code = 'CONFLICT';
  override readonly exitCode = ExitCode.conflict;
}

/** Why a run stopped before its decision was complete. */
export type Interruption = 'SIGINT' | 'SIGTERM' | 'deadline';

/**
 * The run was interrupted before its decision was complete: it decides nothing, writes nothing
 * and applies nothing (DESIGN §1). The exit code says why: 130 SIGINT, 143 SIGTERM, 124 deadline.
 */
export class InterruptedError extends ScalerError {
  override readonly code = 'INTERRUPTED';
  override readonly exitCode: ExitCode;
  readonly by: Interruption;

  constructor(by: Interruption, detail = '') {
    const what = by === 'deadline' ? "the run's deadline passed" : `interrupted by ${by}`;
    super(`${what}${detail ? ` ${detail}` : ''}: no decision made; nothing written, nothing applied`);
    this.by = by;
    this.exitCode = by === 'SIGINT' ? ExitCode.sigint : by === 'SIGTERM' ? ExitCode.sigterm : ExitCode.deadline;
  }
}

/** The scheduler delivered an event this target already handled (same event id): skipped, not re-run. */
export class DuplicateEventError extends ScalerError {
  override readonly code = 'DUPLICATE_EVENT';
  override readonly exitCode = ExitCode.ok;
}

/** The load test could not measure a target (no successful sample, host unreachable). */
export class ProbeError extends ScalerError {
  override readonly code = 'PROBE_FAILED';
}

/** Reading or changing the scale target failed. */
export class TargetError extends ScalerError {
  override readonly code = 'TARGET_ERROR';
}

/** Reading or writing the state store failed (other than a conflict). */
export class StateError extends ScalerError {
  override readonly code = 'STATE_ERROR';
}

/**
 * The store holds what is not this target's record: another target's, or no record at all (a file or
 * ConfigMap of something else, a record that does not decode). `found` says what, in a few words.
 */
export class NotOurStateError extends StateError {
  readonly found: string;

  constructor(message: string, found: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.found = found;
  }
}

/** A command refused to act on what it found (state reset on what is not this target's record): exit 2. */
export class RefusedError extends ScalerError {
  override readonly code = 'REFUSED';
  override readonly exitCode = ExitCode.invalidInput;
}

/**
 * The scale was decided and claimed but applying it failed: carries the run's result (the record to
 * print; run.ts's RunResult, generic here so this module imports nothing of ours).
 */
export class RunFailed<R = unknown> extends ScalerError {
  override readonly code = 'APPLY_FAILED';
  override readonly exitCode: ExitCode;
  readonly result: R;

  constructor(result: R, change: { current: number; applied: number }, cause: unknown) {
    super(`applying ${change.current}→${change.applied} failed: ${messageOf(cause)}`, { cause });
    this.result = result;
    // The target changed under us (HTTP 409, a failed JSON Patch test): a conflict, exit 3.
    const conflict = cause instanceof ScalerError && cause.exitCode === ExitCode.conflict;
    this.exitCode = conflict ? ExitCode.conflict : ExitCode.failure;
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof ScalerError ? err.exitCode : ExitCode.failure;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
