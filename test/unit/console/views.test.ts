// The console's pages are pure: a view in, HTML out. Every value from a configuration, a record or a
// remote answer is text however it is written; the model's numbers are read generically; the Locust
// workers' mismatch is said in words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, trusted } from '../../../src/console/html.ts';
import { overviewPage } from '../../../src/console/overview-view.ts';
import { numericFields, targetPage } from '../../../src/console/target-view.ts';
import { consoleTargets, mismatchOf, type TargetView } from '../../../src/console/targets.ts';
import { wholeNumber } from '../../../src/console/actions.ts';
import { checkManualCount } from '../../../src/manual.ts';
import { emptyRecord } from '../../../src/model/state-record.ts';
import type { ScalerConfig } from '../../../src/config/types.ts';

const EVIL = `<script>alert(1)</script><img src=x onerror=alert(2)>"'\`&`;
const ctx = { csrf: 'csrf-token', now: Date.parse('2026-12-01T12:00:00Z'), refreshMs: 5000 };

const config = {
  target: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'web', namespace: 'shop' },
  replicas: { min: 1, max: 10 },
  decay: { unchangedRuns: 3, replicas: 1 },
  loadTest: {},
} as unknown as ScalerConfig;

function view(): TargetView {
  const [target] = consoleTargets([{ source: `fleet/${EVIL}.yaml`, config }]);
  const record = {
    ...emptyRecord('shop.deployment.web'),
    lastReplicas: 2,
    model: { s0: 12.345678, noise: 0.04, pred: { c: 3, t: 8.1 }, recent: [12, 13], rev: EVIL, futureField: 7 },
    history: [
      {
        at: '2026-12-01T11:59:00Z',
        current: 2,
        desired: 2,
        applied: 2,
        action: 'hold',
        reason: `hold at 2: ${EVIL} mean 3 ms ≤ 7 ms`,
        observations: [{ target: `${EVIL} mean`, value: 3, limit: 7 }],
      },
    ],
  } as never;
  return {
    target: target!,
    config,
    store: `configmap shop/${EVIL}`,
    state: { value: { record, version: '42' } },
    status: { value: { replicas: 2, readyReplicas: 1, paused: false, warnings: [EVIL], otherAutoscalers: [EVIL] } },
    events: { value: [{ type: 'Warning', reason: EVIL, message: EVIL, at: null, count: 2, from: EVIL }] },
    access: { scale: { allowed: false, call: 'patch deployments/scale web', reason: `forbidden: ${EVIL}` } },
    pausable: true,
  };
}

/** The page with every tag we write removed must hold no tag: what is left of `<` came from a value. */
function injected(page: string): string[] {
  return [...page.matchAll(/<(script|img)\b[^>]*>/gi)]
    .map((m) => m[0])
    .filter((t) => t !== '<script src="/console.js" defer>');
}

describe('every value is text', () => {
  it("on a target's page: names, reasons, warnings, Events, refusals, the record and the model", () => {
    const page = targetPage(view(), ctx, { kind: 'error', text: EVIL });
    assert.deepEqual(injected(page), []);
    assert.ok(page.includes(escapeHtml(EVIL)), 'shown, escaped');
    assert.ok(!page.includes(EVIL));
  });

  it('on the overview: the row of a document that does not validate, its error and its source', () => {
    const [target] = consoleTargets([{ source: `fleet/${EVIL}.yaml` }]);
    const row = {
      target: EVIL,
      replicas: null,
      min: 0,
      max: 0,
      targets: [EVIL],
      decayIn: null,
      lastDecision: EVIL,
      lastRunAt: null,
      lastSuccessAt: null,
      periodMs: null,
      stale: false,
      paused: EVIL,
      state: EVIL,
      error: EVIL,
    };
    const page = overviewPage([{ target: target!, row }], ctx);
    assert.deepEqual(injected(page), []);
    assert.ok(!page.includes(EVIL));
  });

  it('html`` escapes what it is given and keeps what it made; trusted markup is the one way around it', () => {
    assert.equal(html`<b>${EVIL}</b>`.text, `<b>${escapeHtml(EVIL)}</b>`);
    assert.equal(
      html`<p>${[html`<i>${'<'}</i>`, '>']}${null}${undefined}${false}${0}</p>`.text,
      '<p><i>&#60;</i>&#62;0</p>',
    );
    assert.equal(html`${trusted('<svg></svg>')}`.text, '<svg></svg>');
  });
});

describe('units', () => {
  it("the last decision's observed values and limits carry their unit", () => {
    const page = targetPage(view(), ctx);
    assert.match(page, /<td class="num">3 ms<\/td>\s*<td class="num">7 ms<\/td>/);
  });
});

describe("the model's numbers", () => {
  it('every finite number of the record model, by path, whatever fields it has', () => {
    assert.deepEqual(
      numericFields({ s0: 1, pred: { t: 2, c: null }, recent: [3, Infinity], rev: 'x', next: { n: 4 } }),
      [
        ['s0', 1],
        ['pred.t', 2],
        ['recent[0]', 3],
        ['next.n', 4],
      ],
    );
  });

  it('shown with words for the known ones first, and a field the page does not know by its path', () => {
    const page = targetPage(view(), ctx);
    const model = page.slice(page.indexOf('id="model"'), page.indexOf('id="history"'));
    assert.match(model, /s₀, the learned low-load service time \(ms\)<\/td>\s*<td class="num">12\.35</);
    assert.match(model, /data-field="futureField">\s*<td>futureField<\/td>\s*<td class="num">7</);
    assert.ok(model.indexOf('data-field="s0"') < model.indexOf('data-field="recent[0]"'));
  });
});

describe('the actions as the page shows them', () => {
  it('a form the credentials may not submit is disabled, the refusal in words; the others are not', () => {
    const page = targetPage(view(), ctx);
    assert.match(page, /<div class="denied">\s*<p class="flash error">forbidden: /);
    assert.match(page, /<fieldset disabled>\s*<form method="post" action="\/t\/[0-9a-f]{10}\/replicas"/);
    assert.match(page, /<form method="post" action="\/t\/[0-9a-f]{10}\/pause"/);
    assert.equal([...page.matchAll(/name="csrf" value="csrf-token"/g)].length, 3, 'every form carries the CSRF token');
    assert.match(page, /name="seenVersion" value="42"/);
  });

  it('form numbers: whole numbers only, named with the value and the rule', () => {
    assert.equal(wholeNumber('replicas', ' 3 '), 3);
    for (const bad of ['2.5', '-1', '1e3', '', 'three', '0x10', '9999999999'])
      assert.deepEqual(wholeNumber('replicas', bad), {
        path: 'replicas',
        message: `${JSON.stringify(bad)} is not a whole number ≥ 0`,
      });
    assert.deepEqual(wholeNumber('replicas', null), { path: 'replicas', message: '"" is not a whole number ≥ 0' });
  });

  it('the count against min..max, each caller naming its own way to force it', () => {
    const bounds = { min: 1, max: 5 };
    assert.equal(checkManualCount(3, bounds, { given: false, how: 'pass --force' }), undefined);
    assert.equal(checkManualCount(9, bounds, { given: true, how: 'pass --force' }), undefined);
    assert.deepEqual(checkManualCount(9, bounds, { given: false, how: 'tick "force"' }, 'replicas'), {
      path: 'replicas',
      message: '9 is outside replicas.min..max (1..5); tick "force" to set it anyway',
    });
    assert.match(checkManualCount(2.5, bounds, { given: true, how: '' })!.message, /not an integer ≥ 0/);
  });
});

describe("Locust workers: the master's count against the Deployment's ready pods", () => {
  const cases: [
    string,
    number | undefined,
    { replicas: number; ready: number | undefined } | undefined,
    RegExp | undefined,
  ][] = [
    ['agree', 2, { replicas: 2, ready: 2 }, undefined],
    [
      'pods the master does not count',
      1,
      { replicas: 2, ready: 2 },
      /counts 1 usable worker, the Deployment has 2 ready pods \(1 ready pod the master does not count/,
    ],
    [
      'workers the Deployment does not have',
      3,
      { replicas: 2, ready: 2 },
      /counts 3 usable workers, the Deployment has 2 ready pods \(workers from elsewhere/,
    ],
    ['pods still starting', 1, { replicas: 3, ready: 1 }, /asks for 3 pods, 1 ready \(still starting\?\)/],
    ['the master unread', undefined, { replicas: 2, ready: 2 }, undefined],
  ];
  for (const [name, usable, pods, said] of cases)
    it(name, () => {
      const got = mismatchOf(usable, pods);
      if (said) assert.match(got ?? '', said);
      else assert.equal(got, undefined);
    });
});
