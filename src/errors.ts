// One small error hierarchy. Only the entry points (CLI, Lambda handler) map these to exit codes.

export const ExitCode = {
  ok: 0,
  failure: 1, // runtime failure: API error, probe failure, apply failed
  invalidInput: 2, // config, flags, environment: nothing sent, nothing written
  conflict: 3, // another invocation won the compare-and-swap: nothing applied
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

/** Bad configuration, flags or environment. Carries every problem found, not only the first. */
export class ConfigError extends ScalerError {
  override readonly code = 'INVALID_CONFIG';
  override readonly exitCode = ExitCode.invalidInput;
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    super(
      issues.length === 1
        ? `invalid configuration${where}: ${lines[0]}. Nothing was sent or written.`
        : `invalid configuration${where} (${issues.length} problems): ${lines.join('; ')}. Nothing was sent or written.`,
      { context: { source } },
    );
    this.issues = issues;
  }
}

/** Another invocation changed the state (or the target) between our read and our write. */
export class ConflictError extends ScalerError {
  override readonly code = 'CONFLICT';
  override readonly exitCode = ExitCode.conflict;
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

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof ScalerError ? err.exitCode : ExitCode.failure;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
