// A run's outcome as Prometheus metrics, in the text exposition format (0.0.4), for a Pushgateway:
// the batch-job convention, since a CronJob or a Lambda has nobody to scrape between its runs. Pure:
// the pusher (push.ts) sends what this returns. Written by hand rather than with prom-client (a
// registry, collectors and default metrics for a one-shot process that sends a dozen gauges once).
//
// PUT or POST (DESIGN §8): a run that decided (exit 0) PUTs, replacing its whole group, so nothing of
// an earlier run lingers (a target since removed, a failure kind not seen again). Any other outcome
// POSTs, which replaces only the metric names it sends: the last success's timestamp and decision
// stay as they were, beside the failure's timestamp and exit code.
import type { TargetSpec } from '../config/types.ts';
import type { Decision } from '../decide/decide.ts';
import { ExitCode } from '../errors.ts';
import type { Observations } from '../model/observations.ts';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/** Every metric here is a gauge: a Pushgateway keeps the last value pushed, nothing accumulates. */
export interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

/** What one run decided, and what against. */
export interface DecidedRun {
  decision: Decision;
  observations?: Observations | undefined;
  replicas: { min: number; max: number };
  targets: readonly TargetSpec[];
}

export interface RunOutcome {
  exitCode: number;
  startedAt: number; // epoch ms
  endedAt: number; // epoch ms
  version: string;
  /**
   * The run's decision, when it made one. Pushed only with exit 0: a failed run's decision (a probe
   * failure's hold) would replace the last success's values with a run that measured nothing.
   */
  decided?: DecidedRun | undefined;
}

/** How the outcome is pushed: success replaces the group; anything else adds to it. */
export type PushMethod = 'PUT' | 'POST';

const PREFIX = 'latency_scaler_';

function succeeded(o: RunOutcome): boolean {
  return o.exitCode === ExitCode.ok && o.decided !== undefined;
}

export function pushMethodFor(outcome: RunOutcome): PushMethod {
  return succeeded(outcome) ? 'PUT' : 'POST';
}

/** The families of one run: the run's outcome always, the decision only when it succeeded. */
export function runFamilies(outcome: RunOutcome): Family[] {
  const decision = succeeded(outcome) ? decisionFamilies(outcome.decided!) : [];
  return [...outcomeFamilies(outcome), ...decision];
}

function gauge(name: string, help: string, samples: Sample[] | number): Family {
  return { name: PREFIX + name, help, samples: typeof samples === 'number' ? [{ value: samples }] : samples };
}

function outcomeFamilies(o: RunOutcome): Family[] {
  const seconds = o.endedAt / 1000;
  const success = succeeded(o);
  // A conflict is another run's success, and a skipped duplicate event is nobody's failure.
  const failed = o.exitCode !== ExitCode.ok && o.exitCode !== ExitCode.conflict;
  return [
    gauge('build_info', 'The version of latency-scaler that ran, as a label.', [
      { labels: { version: o.version }, value: 1 },
    ]),
    gauge(
      'last_run_exit_code',
      'Exit code of the last run: 0 decided, 1 failed, 2 invalid input, 3 conflict, 124/130/143 interrupted.',
      o.exitCode,
    ),
    gauge('last_run_duration_seconds', 'How long the last run took, from its start to its push.', durationOf(o)),
    ...(success ? [gauge('last_success_timestamp_seconds', 'When a run last decided (exit 0).', seconds)] : []),
    ...(failed
      ? [gauge('last_failure_timestamp_seconds', 'When a run last failed (an exit code other than 0 and 3).', seconds)]
      : []),
  ];
}

function durationOf(o: RunOutcome): number {
  return Math.max(0, o.endedAt - o.startedAt) / 1000;
}

function decisionFamilies(run: DecidedRun): Family[] {
  const d = run.decision;
  return [
    gauge('current_replicas', 'Replicas the target had when the run read it.', d.current),
    gauge('desired_replicas', 'Replicas the decision wanted, before replicas.min and replicas.max.', d.desired),
    gauge('applied_replicas', 'Replicas the run set (or kept), within replicas.min and replicas.max.', d.applied),
    gauge('min_replicas', 'The configured replicas.min.', run.replicas.min),
    gauge('max_replicas', 'The configured replicas.max.', run.replicas.max),
    gauge(
      'calm_runs',
      'Calm runs counted towards the next decay (decay.unchangedRuns), after this run.',
      d.state.calmRuns,
    ),
    gauge('last_action', "The last decision's action (up, down, hold) and reason code; always 1.", [
      { labels: { action: d.action, reason: d.reason }, value: 1 },
    ]),
    ...targetFamilies(run),
    ...loadTestFamilies(run),
  ];
}

/** The unit a target's values are in, once converted to base units; each unit is its own metric name. */
type Unit = 'seconds' | 'ratio' | 'requests_per_second' | 'value';

function unitOf(t: TargetSpec): Unit {
  if (t.type.kind === 'failureRatio') return 'ratio';
  if (t.type.kind === 'query') return 'value'; // a production query's value, in the query's own unit
  return t.type.kind === 'rps' ? 'requests_per_second' : 'seconds';
}

/** Latencies are configured and measured in milliseconds; Prometheus wants seconds. */
function toBase(unit: Unit, value: number): number {
  return unit === 'seconds' ? value / 1000 : value;
}

const UNIT_WORDS: Record<Unit, string> = {
  seconds: 'latency targets, in seconds',
  ratio: 'failureRatio targets, as a ratio (0-1)',
  requests_per_second: 'rps targets (a floor), in requests per second',
  value: "production targets, the Prometheus query's value as it is",
};

/**
 * Each target's observed value and limit, labelled by the target's name (`GET /x mean`: one per
 * configured target, so the cardinality is the configuration's). A target measured by nothing has
 * no observed sample, only its limit.
 */
function targetFamilies(run: DecidedRun): Family[] {
  const observed = new Map<Unit, Sample[]>();
  const limits = new Map<Unit, Sample[]>();
  const breached: Sample[] = [];
  const seen = new Set<string>(); // two targets on one statistic would be one series twice: a refused push
  run.targets.forEach((t, i) => {
    const e = run.decision.evaluations[i];
    if (!e || seen.has(e.target)) return;
    seen.add(e.target);
    const unit = unitOf(t);
    const labels = { target: e.target };
    push(limits, unit, { labels, value: toBase(unit, t.target) });
    if (e.value !== null) push(observed, unit, { labels, value: toBase(unit, e.value) });
    breached.push({ labels, value: e.breached ? 1 : 0 });
  });
  const byUnit = (kind: 'observed' | 'limit', samples: Map<Unit, Sample[]>): Family[] =>
    [...samples].map(([unit, s]) =>
      gauge(`target_${kind}_${unit}`, `Each target's ${kind} value: ${UNIT_WORDS[unit]}.`, s),
    );
  const breach = breached.length
    ? [gauge('target_breached', 'Whether each target was beyond its limit and tolerance (1) or not (0).', breached)]
    : [];
  return [...byUnit('observed', observed), ...byUnit('limit', limits), ...breach];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function loadTestFamilies(run: DecidedRun): Family[] {
  const all = run.observations?.engine === 'none' ? undefined : run.observations?.aggregated;
  if (!all) return []; // no load sent: paused, zero replicas, probe-less
  const kinds = run.decision.failures?.kinds ?? {};
  // Every known kind is a series, at 0 when nothing of it failed: an alert on failures then sees 0,
  // not "no data" (a push replaces the group, so a kind missing from it has no series at all).
  const byKind = new Map<string, number>([...KNOWN_KINDS].map((kind) => [kind, 0]));
  for (const [kind, n] of Object.entries(kinds))
    byKind.set(failureKind(kind), (byKind.get(failureKind(kind)) ?? 0) + n);
  const failures = [...byKind].map(([kind, value]) => ({ labels: { kind }, value }));
  return [
    gauge('loadtest_requests', 'Requests the last load test completed, failures included.', all.count),
    gauge('loadtest_failures', 'Failed requests of the last load test, by kind (known kinds at 0).', failures),
  ];
}

/** An error code (`EPROTO`, `UND_ERR_…`) or a script's error class (`TypeError`): a name in the code. */
const CODE_OR_CLASS = /^(?:[A-Z][A-Z0-9_]{1,39}|[A-Z][A-Za-z]{0,38}Error)$/;
const KNOWN_KINDS = new Set([
  'timeout',
  'connect timeout',
  'connection refused',
  'connection reset',
  'unknown host',
  'host unreachable',
  'protocol error',
]);

/**
 * A failure kind as a label value from a small set: the engines' own words (`HTTP 503`, `timeout`, an
 * error code, a script's error class), but a Locust error's text (it may name a URL or an id) only as
 * its HTTP status, a word, or `other`: a label's every value is a series to store.
 */
export function failureKind(kind: string): string {
  if (KNOWN_KINDS.has(kind) || /^HTTP \d{3}$/.test(kind) || CODE_OR_CLASS.test(kind)) return kind;
  const status = /\b([1-5]\d\d) (?:Client|Server) Error\b/.exec(kind);
  if (status) return `HTTP ${status[1]}`;
  const words = LOCUST_WORDS.find(([pattern]) => pattern.test(kind));
  return words ? words[1] : 'other';
}

/** Python's exceptions as Locust reports them (`ConnectionRefusedError(111, 'Connection refused')`). */
const LOCUST_WORDS: [RegExp, string][] = [
  [/refused/i, 'connection refused'],
  [/reset|RemoteDisconnected|aborted/i, 'connection reset'],
  [/timed? ?out|Timeout/i, 'timeout'],
  [/Name or service not known|getaddrinfo|NameResolution/i, 'unknown host'],
];

/** The text exposition format (version 0.0.4); no timestamps (a Pushgateway refuses them). */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue; // an empty family is dropped by the parser anyway
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${numberText(s.value)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function labelText(labels: Record<string, string> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/**
 * The group's path: `/metrics/job/<job>/<label>/<value>…`. A value that is not plainly safe in a
 * path segment (empty, `.`, `..`, a slash, anything beyond [A-Za-z0-9._-]) goes base64url-encoded
 * with the `@base64` suffix, as the Pushgateway's API defines.
 */
export function groupingPath(job: string, labels: Record<string, string>): string {
  const parts = [segment('job', job), ...Object.entries(labels).map(([k, v]) => segment(k, v))];
  return `/metrics/${parts.join('/')}`;
}

function segment(name: string, value: string): string {
  const plain = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(value);
  if (plain) return `${name}/${value}`;
  const encoded = Buffer.from(value, 'utf8').toString('base64url');
  return `${name}@base64/${encoded === '' ? '=' : encoded}`;
}
