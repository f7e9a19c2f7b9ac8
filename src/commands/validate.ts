import { formatDuration } from '../config/duration.ts';
import { describeTarget, type ScalerConfig } from '../config/types.ts';
import { redactDeep, redactUrl } from '../report/redact.ts';
import { printJson, type CommandContext } from './context.ts';

/** Prints what a run would do with this configuration; loading it already validated it. */
export function validateCommand(config: ScalerConfig, ctx: CommandContext): void {
  // Headers, passwords and tokens in URLs are masked: `validate -o json` output ends up in tickets and CI logs.
  if (ctx.output === 'json') return printJson(ctx, { valid: true, config: redactDeep(config) });
  const lt = config.loadTest;
  const state =
    config.state.store === 'file'
      ? `file ${config.state.path}`
      : config.state.store === 'dynamodb'
        ? `dynamodb table ${config.state.table}`
        : `configmap ${config.state.name ?? '(derived from the target)'}`;
  const wait =
    lt.waitTime.min === lt.waitTime.max
      ? formatDuration(lt.waitTime.min)
      : `${formatDuration(lt.waitTime.min)}–${formatDuration(lt.waitTime.max)}`;
  const { scaleUp, decay, model } = config;
  const modelled = `the model (headroom ${model.headroom}, concurrency ${model.concurrency})`;
  const up =
    scaleUp.mode === 'step'
      ? `+${scaleUp.step}`
      : scaleUp.mode === 'model'
        ? modelled
        : `proportional, max +${scaleUp.maxStep}`;
  const guard = decay.maxLoad !== undefined ? `, not above load ${decay.maxLoad}` : '';
  const predicts = `down to what ${scaleUp.mode === 'model' ? 'the model' : modelled} predicts safe`;
  const down =
    decay.mode === 'model'
      ? `${predicts}, after ${decay.unchangedRuns} calm runs`
      : `-${decay.replicas} after ${decay.unchangedRuns} calm runs${guard}`;
  const from = 'namespaceFrom' in config.target && config.target.namespaceFrom;
  const namespace = from ? ` (namespace from ${from})` : '';
  const lines = [
    `configuration ${config.source} is valid`,
    `target:    ${describeTarget(config.target)}${namespace}, replicas ${config.replicas.min}..${config.replicas.max}`,
    `load test: ${lt.engine} engine, ${lt.users} users at ${lt.spawnRate}/s for ${formatDuration(lt.duration)}` +
      ` against ${redactUrl(lt.host)} (think time ${wait}, timeout ${formatDuration(lt.timeout)})`,
    ...lt.requests.map((r) => `  request ${JSON.stringify(r.name)}: ${r.method} ${r.path} weight ${r.weight}`),
    ...config.targets.map((t) => {
      const op = t.type.kind === 'rps' ? '≥' : '≤';
      const tolerance = t.tolerance ? ` (tolerance ${t.tolerance * 100}%)` : '';
      return `  target:  ${t.request} ${t.label} ${op} ${t.target}${tolerance}`;
    }),
    `scale up: ${up}; decay: ${down}`,
    `state:     ${state}`,
    ...(config.metrics.pushgateway ? [`metrics:   pushed to ${redactUrl(config.metrics.pushgateway)}`] : []),
  ];
  ctx.out(`${lines.join('\n')}\n`);
}
