// A target's page: what the system reports now (refreshed in place), the actions, the last decision,
// the model's numbers, the history picture (the renderer of `history`), the Events and the record.
import { typeOfTarget, withUnit } from '../config/target-type.ts';
import type { HistoryEntry, StateRecord } from '../model/state-record.ts';
import { historySection } from '../report/history-html.ts';
import type { TargetStatus } from '../target/types.ts';
import { html, trusted, type Html } from './html.ts';
import { ago, flashBlock, hidden, page, versionField, type Flash, type PageContext } from './layout.ts';
import type { TargetView, WorkersView } from './targets.ts';

export function targetPage(v: TargetView, ctx: PageContext, flash?: Flash): string {
  const record = v.state.value?.record ?? null;
  const version = v.state.value ? versionField(v.state.value.version) : undefined;
  const replicas = v.status.value?.replicas;
  const live = `/fragment/t/${v.target.id}/now?seen=${encodeURIComponent(version ?? '')}&replicas=${replicas ?? ''}`;
  const body = html`<nav><a href="/">&larr; all targets</a></nav>
    <h1>${v.target.title}</h1>
    <p class="meta">${v.target.source} &middot; ${v.store}</p>
    ${flashBlock(flash)}
    <section id="now" data-live="${live}">${nowBlock(v, ctx.now)}</section>
    ${actions(v, ctx)} ${v.workers ? workersSection(v.target.id, v.workers, ctx) : ''}
    <section id="decision">
      <h2>Last decision</h2>
      ${lastDecision(record, ctx.now)}
    </section>
    ${modelSection(record)}
    <section id="history">
      <h2>History</h2>
      ${
        record && record.history.length > 0
          ? trusted(historySection(record, v.target.title, { bounds: v.config.replicas }))
          : html`<p>No decisions recorded yet.</p>`
      }
    </section>
    ${eventsSection(v)}
    <section id="record">
      <h2>State record</h2>
      ${recordBlock(v)}
    </section>`;
  return page(`${v.target.title} · latency-scaler console`, body, ctx);
}

/** What the target and its record say now; `seen`: the version and replicas the page's forms carry. */
export function nowBlock(v: TargetView, now: number, seen?: { version: string; replicas: string }): Html {
  const s = v.status.value;
  const record = v.state.value?.record ?? null;
  const moved =
    seen &&
    v.state.value &&
    s &&
    (seen.version !== versionField(v.state.value.version) || seen.replicas !== String(s.replicas));
  const { min, max } = v.config.replicas;
  const { unchangedRuns } = v.config.decay;
  const warnings = (s?.warnings ?? []).map((w) => html`<p class="flash warn">${w}</p>`);
  const workers = v.workers ? workersFacts(v.workers) : '';
  return html`${
      moved
        ? html`<p class="flash warn" id="moved">
            Changed since this page was loaded (a run or someone else acted): <a href="">reload</a> before acting
            &mdash; a form of this page would lose.
          </p>`
        : ''
    }
    ${v.status.error ? html`<p class="flash error">reading the target: ${v.status.error}</p>` : ''}
    ${v.state.error ? html`<p class="flash error">reading the state: ${v.state.error}</p>` : ''}
    <dl class="facts">
      <dt>replicas (spec)</dt>
      <dd data-fact="spec">${s ? s.replicas : '?'}</dd>
      <dt>ready</dt>
      <dd data-fact="ready">${s ? readyText(s) : '?'}</dd>
      <dt>settled</dt>
      <dd data-fact="settled">${s ? (s.notSettled ? s.notSettled.reason : 'yes') : '?'}</dd>
      <dt>paused</dt>
      <dd data-fact="paused">${s ? pausedText(s) : '?'}</dd>
      <dt>bounds</dt>
      <dd>min ${min} &ndash; max ${max}</dd>
      <dt>calm runs</dt>
      <dd>${record ? `${record.calmRuns} (a decay after ${unchangedRuns})` : '-'}</dd>
      <dt>last run</dt>
      <dd>${ago(record?.lastRunAt, now)}</dd>
      <dt>last success</dt>
      <dd>${ago(record?.lastSuccessAt, now)}</dd>
    </dl>
    ${s?.otherAutoscalers?.length ? html`<p class="flag">Also scaled by: ${s.otherAutoscalers.join(', ')}</p>` : ''}
    ${warnings} ${workers}`;
}

const readyText = (s: TargetStatus): string =>
  s.readyReplicas === undefined ? 'not reported' : `${s.readyReplicas} of ${s.replicas}`;

function pausedText(s: TargetStatus): string {
  if (s.paused) return 'yes';
  if (s.pausedReplicas !== undefined) return `at replicas=${s.pausedReplicas}`;
  return s.pausedScaleDown ? 'scale-down only' : 'no';
}

/** A form that the credentials may not submit is shown disabled, with the refusal in words. */
function guarded(v: { allowed: boolean; reason?: string } | undefined, form: Html): Html {
  if (!v || v.allowed) return form;
  return html`<div class="denied">
    <p class="flash error">${v.reason ?? 'not allowed'}</p>
    <fieldset disabled>${form}</fieldset>
  </div>`;
}

function actions(v: TargetView, ctx: PageContext): Html {
  const id = v.target.id;
  const s = v.status.value;
  const state = v.state.value;
  if (!s || !state)
    return html`<section id="actions">
      <h2>Actions</h2>
      <p>None while the target or its state cannot be read.</p>
    </section>`;
  const seen = { csrf: ctx.csrf, seenVersion: versionField(state.version), seenReplicas: s.replicas };
  const { min, max } = v.config.replicas;
  const setForm = html`<form method="post" action="/t/${id}/replicas" class="action" id="set-replicas">
    ${hidden(seen)}
    <label
      >Replicas <input name="replicas" inputmode="numeric" autocomplete="off" value="${s.replicas}" size="5"
    /></label>
    <label class="check"><input type="checkbox" name="force" /> force (outside ${min}..${max}, or while paused)</label>
    <button type="submit">Set replicas</button>
    <small>through the target's /scale, with a claim on the state; the decay count restarts</small>
  </form>`;
  const pauseForm = v.pausable
    ? html`<form method="post" action="/t/${id}/${s.paused ? 'resume' : 'pause'}" class="action" id="pause">
        ${hidden({ csrf: ctx.csrf, seenPaused: String(s.paused) })}
        <button type="submit">${s.paused ? 'Resume' : 'Pause'}</button>
        <small
          >${s.paused ? 'removes' : 'sets'} the annotation latency-scaler.io/paused: while it is set, runs send no load
          and change nothing</small
        >
      </form>`
    : html`<p id="pause">
        <small
          >This webhook keeps its pause itself (its GET answers "paused": ${s.paused ? 'true' : 'false'}); set it where
          the webhook keeps its count.</small
        >
      </p>`;
  const resetForm = html`<form method="post" action="/t/${id}/reset" class="action" id="reset">
    ${hidden({ csrf: ctx.csrf, seenVersion: versionField(state.version) })}
    <button type="submit" class="danger">Reset the state&hellip;</button>
    <small>forgets the calm runs, the history and the model's numbers (asks first)</small>
  </form>`;
  return html`<section id="actions">
    <h2>Actions</h2>
    ${guarded(v.access.scale, setForm)} ${v.pausable ? guarded(v.access.pause, pauseForm) : pauseForm} ${resetForm}
  </section>`;
}

function workersFacts(w: WorkersView): Html {
  const counted = w.counted.value;
  const pods = w.pods.value;
  const states = counted
    ? Object.entries(counted.states)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')
    : '';
  return html`<h3>Locust workers</h3>
    <dl class="facts" id="workers-facts">
      <dt>the master counts</dt>
      <dd data-fact="master-workers">
        ${
          counted
            ? html`${counted.usable} usable${states ? ` (${states})` : ''}`
            : html`<span class="error-text">${w.counted.error}</span>`
        }
      </dd>
      <dt>worker pods</dt>
      <dd data-fact="worker-pods">
        ${
          pods
            ? `${pods.ready ?? '?'} ready of ${pods.replicas}`
            : html`<span class="error-text">${w.pods.error}</span>`
        }
      </dd>
    </dl>
    ${w.mismatch ? html`<p class="flag" id="workers-mismatch">&#9888; ${w.mismatch}</p>` : ''}`;
}

function workersSection(id: string, w: WorkersView, ctx: PageContext): Html {
  const pods = w.pods.value;
  const form = html`<form method="post" action="/t/${id}/workers" class="action" id="workers">
    ${hidden({ csrf: ctx.csrf, seenWorkers: pods?.replicas })}
    <label
      >Worker pods
      <input name="replicas" inputmode="numeric" autocomplete="off" value="${pods?.replicas ?? ''}" size="5"
    /></label>
    <button type="submit">Scale workers</button>
    <small>${w.deployment}, through its /scale; the master at ${w.master}</small>
  </form>`;
  return html`<section id="workers-section">
    <h2>Locust workers</h2>
    ${pods ? guarded(w.access, form) : html`<p>${w.pods.error}</p>`}
  </section>`;
}

function lastDecision(record: StateRecord | null, now: number): Html {
  const last: HistoryEntry | undefined = record?.history.at(-1);
  if (!last) return html`<p>None recorded yet.</p>`;
  const failures = last.failures
    ? html`<p>
        Failed requests:
        ${(last.failures.ratio * 100).toFixed(1)}%${
          last.failures.kinds
            ? ` (${Object.entries(last.failures.kinds)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')})`
            : ''
        }
      </p>`
    : '';
  const rows = last.observations.map((o) => {
    const breached = o.value !== null && (o.target.endsWith(' rps') ? o.value < o.limit : o.value > o.limit);
    const type = typeOfTarget(o.target);
    const fourDigits = (n: number): string => String(Number(n.toPrecision(4)));
    return html`<tr class="${breached ? 'breach' : ''}">
      <td>${o.target}</td>
      <td class="num">${o.value === null ? 'not measured' : withUnit(o.value, type, fourDigits)}</td>
      <td class="num">${withUnit(o.limit, type)}</td>
    </tr>`;
  });
  const when = `${last.at} (${ago(last.at, now)})`;
  return html`<p><strong>${last.action}</strong> ${last.current}&rarr;${last.applied} &middot; ${when}</p>
    <p class="reason" id="last-reason">${last.reason}</p>
    ${
      rows.length
        ? html`<table class="observations">
            <thead>
              <tr>
                <th>target</th>
                <th>observed</th>
                <th>limit</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
        : ''
    }
    ${failures}`;
}

/** Words for the model's best-known numbers; any other numeric field is shown by its path. */
const MODEL_LABELS: Record<string, string> = {
  s0: 's₀, the learned low-load service time (ms)',
  noise: 'noise: run-to-run variation of the latency at one count',
  'pred.t': 'the last prediction: latency after the scale-up (ms)',
  'pred.c': 'the last prediction: at replicas',
};

/** Every finite number in the record's model, by path (`pred.t`, `recent[2]`): the model's fields change. */
export function numericFields(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return Number.isFinite(value) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((x, i) => numericFields(x, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, x]) => numericFields(x, path ? `${path}.${k}` : k));
  return [];
}

function modelSection(record: StateRecord | null): Html {
  const model: unknown = record?.model;
  if (!model) return html``;
  const fields = numericFields(model).sort(([a], [b]) => Number(b in MODEL_LABELS) - Number(a in MODEL_LABELS));
  const rows = fields.map(
    ([k, n]) =>
      html`<tr data-field="${k}">
        <td>${MODEL_LABELS[k] ?? k}</td>
        <td class="num">${Number(n.toPrecision(4))}</td>
      </tr>`,
  );
  return html`<section id="model">
    <h2>The model's numbers</h2>
    <table class="model">
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

function eventsSection(v: TargetView): Html {
  if (!v.events) return html``;
  const denied = v.access.events && !v.access.events.allowed ? v.access.events.reason : undefined;
  if (denied || v.events.error)
    return html`<section id="events">
      <h2>Events</h2>
      <p class="flash error">${denied ?? v.events.error}</p>
    </section>`;
  const list = v.events.value ?? [];
  const rows = list.map(
    (e) =>
      html`<tr class="${e.type === 'Warning' ? 'warning' : ''}">
        <td>${e.at ?? '-'}</td>
        <td>${e.type}</td>
        <td>${e.reason}</td>
        <td class="reason">${e.message}</td>
        <td class="num">${e.count}</td>
        <td>${e.from}</td>
      </tr>`,
  );
  return html`<section id="events">
    <h2>Events <small>on the target, newest first</small></h2>
    ${
      list.length
        ? html`<table class="events">
            <thead>
              <tr>
                <th>last seen</th>
                <th>type</th>
                <th>reason</th>
                <th>message</th>
                <th>count</th>
                <th>from</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
        : html`<p>None (Events expire after an hour by default).</p>`
    }
  </section>`;
}

function recordBlock(v: TargetView): Html {
  if (!v.state.value) return html`<p class="flash error">${v.state.error}</p>`;
  const { record, version } = v.state.value;
  if (!record) return html`<p>No record yet (${v.store}).</p>`;
  return html`<p>${v.store}, version ${version}</p>
    <pre class="json" id="record-json">${JSON.stringify(record, null, 2)}</pre>`;
}
