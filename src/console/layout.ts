// The page around every view, the message of the last action, and the forms' shared parts. Pure.
import { age } from '../commands/status.ts';
import { html, type Html } from './html.ts';

export interface PageContext {
  /** This browser's CSRF token: every form carries it. */
  csrf: string;
  now: number;
  /** How often the live parts of a page are refreshed (ms). */
  refreshMs: number;
}

/** What the last action said: shown once at the top of the page it redirected to. */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export function page(title: string, body: Html, ctx: PageContext): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/console.css" />
        <script src="/console.js" defer></script>
      </head>
      <body data-refresh="${ctx.refreshMs}">
        <header>
          <a class="home" href="/">latency-scaler console</a> <span id="live-status" aria-live="polite"></span>
        </header>
        <main>${body}</main>
      </body>
    </html> `.text;
}

export function flashBlock(flash: Flash | undefined): Html {
  if (!flash) return html``;
  const role = flash.kind === 'error' ? 'alert' : 'status';
  return html`<p class="flash ${flash.kind}" role="${role}" id="flash">${flash.text}</p>`;
}

/** The hidden fields of a form: the CSRF token, and the figures the person saw (to lose if they moved). */
export function hidden(fields: Record<string, string | number | null | undefined>): Html {
  return html`${Object.entries(fields)
    .filter((f): f is [string, string | number] => f[1] !== undefined && f[1] !== null)
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}`;
}

/** The state version as a form carries it: `-` for no record yet. */
export const versionField = (version: string | null): string => version ?? '-';
export const versionOfField = (field: string): string | null => (field === '-' ? null : field);

/** A step that asks before it acts (a count outside min..max, a reset): the same POST, confirmed. */
export function confirmPage(
  view: { title: string; text: string; action: string; fields: Record<string, string>; button: string; back: string },
  ctx: PageContext,
): string {
  const body = html`<h1>${view.title}</h1>
    <p class="confirm-text">${view.text}</p>
    <form method="post" action="${view.action}" class="confirm">
      ${hidden({ ...view.fields, csrf: ctx.csrf, confirm: 'yes' })}
      <button type="submit" class="danger">${view.button}</button> <a href="${view.back}">Cancel</a>
    </form>`;
  return page(view.title, body, ctx);
}

/** A page that only says why (not found, refused): no data of any target. */
export function messagePage(title: string, text: string, ctx: PageContext): string {
  return page(
    title,
    html`<h1>${title}</h1>
      <p class="flash error" role="alert">${text}</p>
      <p><a href="/">All targets</a></p>`,
    ctx,
  );
}

/** `12s ago`, `5m ago` (status's ages); `never`. */
export const ago = (at: string | null | undefined, now: number): string => (at ? `${age(at, now)} ago` : 'never');
