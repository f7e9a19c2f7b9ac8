// HTML by construction: every value put into a template is escaped unless it is already Html (made
// by this module from escaped parts). A value from a configuration, a record or a remote answer can
// only ever become text. Pure.

/** Markup that is safe to emit as it is: built by `html`, or a renderer's own escaped output (`trusted`). */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

/** Text → HTML text or attribute value (quotes included: every attribute is written in double quotes). */
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

function render(v: Value): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** A template whose interpolations are escaped (arrays joined, null/undefined/false dropped). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new Html(out);
}

/** Markup from a renderer that escapes its own input (the history picture): the one way around `html`. */
export const trusted = (markup: string): Html => new Html(markup);
