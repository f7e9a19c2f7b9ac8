// The overview: one row per target with the facts of `status --wide`, its body refreshed in place.
import type { StatusRow } from '../commands/status.ts';
import { html, type Html } from './html.ts';
import { ago, flashBlock, page, type Flash, type PageContext } from './layout.ts';
import type { OverviewRow } from './targets.ts';
import { plural } from '../plural.ts';

const HEAD = ['target', 'replicas', 'targets', 'decay in', 'last decision', 'age', 'last success', 'paused', 'state'];

export function overviewPage(rows: OverviewRow[], ctx: PageContext, flash?: Flash): string {
  const body = html`<h1>
      Targets <small>${rows.length} &middot; read from each target and its state store; no load is sent</small>
    </h1>
    ${flashBlock(flash)}
    <table class="overview">
      <thead>
        <tr>
          ${HEAD.map((h) => html`<th>${h}</th>`)}
        </tr>
      </thead>
      <tbody id="rows" data-live="/fragment/overview">
        ${overviewRows(rows, ctx.now)}
      </tbody>
    </table>
    <p class="hint">
      Replicas are current/min/max; a target's value is its last run's against its limit. Open a target for its history,
      Events and record, and to set its replicas or pause it.
    </p>`;
  return page('latency-scaler console', body, ctx);
}

export function overviewRows(rows: OverviewRow[], now: number): Html {
  return html`${rows.map(({ target, row }) => rowHtml(target.id, target.source, row, now))}`;
}

function rowHtml(id: string, source: string, r: StatusRow, now: number): Html {
  const classes = [
    r.error ? 'error' : '',
    r.stale ? 'stale' : '',
    r.paused !== 'no' && r.paused !== '-' ? 'paused' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const decision = r.error ? html`<span class="error-text">error: ${r.error}</span>` : html`${r.lastDecision ?? '-'}`;
  return html`<tr data-target="${id}" class="${classes}">
    <td class="name"><a href="/t/${id}">${r.target}</a><br /><small>${source}</small></td>
    <td class="num" data-fact="replicas">${r.replicas ?? '?'}/${r.min}/${r.max}</td>
    <td>${r.targets.length ? r.targets.map((t) => html`<span class="chip">${t}</span> `) : '-'}</td>
    <td>${r.decayIn === null ? '-' : plural(r.decayIn, 'run')}</td>
    <td class="reason">${decision}</td>
    <td>${r.lastRunAt ? ago(r.lastRunAt, now) : '-'}</td>
    <td>
      ${r.lastSuccessAt ? ago(r.lastSuccessAt, now) : '-'}${r.stale ? html` <strong class="flag">STALE</strong>` : ''}
    </td>
    <td data-fact="paused">${r.paused}</td>
    <td><small>${r.state}</small></td>
  </tr>`;
}
