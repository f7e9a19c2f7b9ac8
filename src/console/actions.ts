// The console's actions, each through the code the CLI runs (manual.ts: set-replicas with its claim on
// the state, pause/resume, state reset; engine.ts: the Locust workers' /scale) and each decided on the
// figures the page showed: a run, another person or a second tab that acted in between wins, and this
// one loses as a conflict with nothing changed. A bad field is refused before anything is read.
// Afterwards the message says what the system reports, not what was asked.
import { scaleLocustWorkers } from '../commands/engine.ts';
import type { ScalerConfig } from '../config/types.ts';
import { ConflictError, messageOf, type FieldIssue } from '../errors.ts';
import { applyManualChange, checkManualCount, resetState, setPaused } from '../manual.ts';
import type { Logger } from '../report/log.ts';
import { createStateStore } from '../state/index.ts';
import { createScaleTarget } from '../target/index.ts';
import type { ScaleTarget } from '../target/types.ts';
import { versionOfField, type Flash } from './layout.ts';
import { workersView, type ConsoleTarget, type ReadContext } from './targets.ts';
import { plural } from '../plural.ts';

export type ActionName = 'replicas' | 'pause' | 'resume' | 'reset' | 'workers';
export const ACTIONS: readonly ActionName[] = ['replicas', 'pause', 'resume', 'reset', 'workers'];

export interface ActionContext extends ReadContext {
  log: Logger;
}

/** Either what happened, or a question first (a forced count, a reset): the same request, confirmed. */
export type ActionResult = { flash: Flash } | { confirm: { title: string; text: string; button: string } };

const NOTHING = 'Nothing changed.';

/** A whole number ≥ 0 as a form sends it, or the issue naming the field, the value and the rule. */
export function wholeNumber(field: string, text: string | null): number | FieldIssue {
  const value = (text ?? '').trim();
  if (!/^\d{1,9}$/.test(value))
    return { path: field, message: `${JSON.stringify(text ?? '')} is not a whole number ≥ 0` };
  return Number(value);
}

/** A field the request lacks or got wrong: refused before anything is read. */
class FieldRefusal extends Error {
  readonly issue: FieldIssue;
  constructor(issue: FieldIssue) {
    super(`${issue.path}: ${issue.message}`);
    this.issue = issue;
  }
}

function required(form: URLSearchParams, field: string): string {
  const value = form.get(field);
  if (value === null) {
    const message = 'is missing: the forms of this console send it; reload the page and try again';
    throw new FieldRefusal({ path: field, message });
  }
  return value;
}

const refused = (issue: FieldIssue): { flash: Flash } => ({
  flash: { kind: 'error', text: `${issue.path}: ${issue.message}. ${NOTHING}` },
});

/** Runs one action on one target; every failure becomes the page's message, in words. */
export async function act(
  name: ActionName,
  target: ConsoleTarget,
  config: ScalerConfig,
  form: URLSearchParams,
  ctx: ActionContext,
): Promise<ActionResult> {
  try {
    const result = await dispatch(name, config, form, ctx);
    if ('flash' in result && result.flash.kind === 'ok')
      ctx.log.log('info', `console: ${result.flash.text}`, { target: target.title, action: name });
    return result;
  } catch (err) {
    if (err instanceof FieldRefusal) return refused(err.issue);
    const text = messageOf(err);
    // A conflict changes nothing (the claim is a compare-and-swap); other failures say what they did.
    const unchanged = err instanceof ConflictError && !/nothing changed/i.test(text) ? ` ${NOTHING}` : '';
    ctx.log.log('warn', `console: ${name} refused or failed: ${text}`, { target: target.title, action: name });
    return { flash: { kind: 'error', text: `${text}${unchanged}` } };
  }
}

async function dispatch(
  name: ActionName,
  config: ScalerConfig,
  form: URLSearchParams,
  ctx: ActionContext,
): Promise<ActionResult> {
  switch (name) {
    case 'replicas':
      return setReplicas(config, form, ctx);
    case 'pause':
    case 'resume':
      return pause(config, form, ctx, name === 'pause');
    case 'reset':
      return reset(config, form, ctx);
    case 'workers':
      return workers(config, form, ctx);
  }
}

/** The credentials may take the action, as the platform says; else its refusal in words. */
async function allowed(
  target: ScaleTarget,
  action: 'scale' | 'pause',
  signal: AbortSignal,
): Promise<string | undefined> {
  const access = await target.access?.(action, signal);
  return access && !access.allowed ? `${access.reason ?? `not allowed: ${access.call}`} ${NOTHING}` : undefined;
}

async function setReplicas(config: ScalerConfig, form: URLSearchParams, ctx: ActionContext): Promise<ActionResult> {
  const replicas = wholeNumber('replicas', form.get('replicas'));
  if (typeof replicas !== 'number') return refused(replicas);
  const force = form.get('force') === 'on';
  const issue = checkManualCount(replicas, config.replicas, { given: force, how: 'tick "force"' }, 'replicas');
  if (issue) return refused(issue);
  const seenReplicas = wholeNumber('seenReplicas', required(form, 'seenReplicas'));
  if (typeof seenReplicas !== 'number') return refused(seenReplicas);
  const seen = { version: versionOfField(required(form, 'seenVersion')), replicas: seenReplicas };
  const outside = replicas < config.replicas.min || replicas > config.replicas.max;
  if (force && form.get('confirm') !== 'yes') {
    const { min, max } = config.replicas;
    const why = outside ? `, outside replicas.min..max (${min}..${max})` : '';
    const count = plural(replicas, 'replica');
    const text = `Set ${count}${why}, overriding a pause if there is one? Runs then decide from it.`;
    return { confirm: { title: `Force ${count}?`, text, button: `Set ${count}` } };
  }
  const [store, target] = await Promise.all([createStateStore(config, ctx.env), createScaleTarget(config, ctx.env)]);
  const denied = await allowed(target, 'scale', ctx.signal);
  if (denied) return { flash: { kind: 'error', text: denied } };
  const deps = { store, target, now: ctx.now, log: ctx.log, signal: ctx.signal };
  const { message } = await applyManualChange(config, deps, replicas, force, seen, 'tick "force"');
  return { flash: { kind: 'ok', text: `${message}; decay count restarted. ${await reports(target, ctx.signal)}` } };
}

/** What the target says after the change: its spec and its ready replicas, read again. */
async function reports(target: ScaleTarget, signal: AbortSignal): Promise<string> {
  try {
    const s = await target.read(signal);
    const ready = s.readyReplicas === undefined ? 'ready replicas not reported' : `${s.readyReplicas} ready`;
    return `${target.describe()} now reports ${s.replicas} desired, ${ready}${s.paused ? ', paused' : ''}.`;
  } catch (err) {
    return `Reading ${target.describe()} again failed: ${messageOf(err)}.`;
  }
}

async function pause(
  config: ScalerConfig,
  form: URLSearchParams,
  ctx: ActionContext,
  paused: boolean,
): Promise<ActionResult> {
  const seenText = required(form, 'seenPaused');
  if (seenText !== 'true' && seenText !== 'false')
    return refused({ path: 'seenPaused', message: `${JSON.stringify(seenText)} is not true or false` });
  const target = await createScaleTarget(config, ctx.env);
  const denied = target.setPaused ? await allowed(target, 'pause', ctx.signal) : undefined;
  if (denied) return { flash: { kind: 'error', text: denied } };
  const { message } = await setPaused({ target, signal: ctx.signal }, paused, seenText === 'true');
  return { flash: { kind: 'ok', text: `${message}. ${await reports(target, ctx.signal)}` } };
}

async function reset(config: ScalerConfig, form: URLSearchParams, ctx: ActionContext): Promise<ActionResult> {
  const seenVersion = versionOfField(required(form, 'seenVersion'));
  const store = await createStateStore(config, ctx.env);
  if (form.get('confirm') !== 'yes') {
    const text =
      `Clear the record in ${store.describe()}? The calm runs, the history and the model's numbers are ` +
      'forgotten; the next run starts afresh from the replicas it finds.';
    return { confirm: { title: 'Reset the state?', text, button: 'Reset the state' } };
  }
  await resetState(store, ctx.signal, seenVersion);
  return { flash: { kind: 'ok', text: `${store.describe()}: state cleared.` } };
}

async function workers(config: ScalerConfig, form: URLSearchParams, ctx: ActionContext): Promise<ActionResult> {
  const ref = config.loadTest?.locust?.workers?.target;
  if (!ref) return refused({ path: 'workers', message: 'this target drives no Locust worker Deployment' });
  const replicas = wholeNumber('replicas', form.get('replicas'));
  if (typeof replicas !== 'number') return refused(replicas);
  const seen = wholeNumber('seenWorkers', required(form, 'seenWorkers'));
  if (typeof seen !== 'number') return refused(seen);
  const deployment = { target: ref, api: config.api };
  const denied = await allowed(await createScaleTarget(deployment, ctx.env), 'scale', ctx.signal);
  if (denied) return { flash: { kind: 'error', text: denied } };
  await scaleLocustWorkers(deployment, ctx.env, replicas, ctx.signal, seen);
  const after = await workersView(config, ctx);
  const counted = after?.counted.value ? `${after.counted.value.usable} usable` : `unknown (${after?.counted.error})`;
  const pods = after?.pods.value ? `${after.pods.value.ready ?? '?'} ready of ${after.pods.value.replicas}` : '?';
  const text = `worker pods ${seen}→${replicas}: the Deployment reports ${pods}; the master counts ${counted}.`;
  return { flash: { kind: 'ok', text } };
}
