// Runs inside a copy of the history picture in headless Chromium (history.test.ts appends it; the
// shipped page has no script) and measures what was laid out, not the markup: labels that overlap or
// are cut off, points and bars outside their plot, empty bands, time labels out of order. Writes its
// findings as JSON into <pre id="measured">, which Chromium's --dump-dom prints.
/* global document */
(() => {
  const problems = [];
  const counts = { panels: 0, points: 0, bars: 0, bands: 0, timeLabels: 0, valueLabels: 0 };
  const box = (el) => el.getBoundingClientRect();
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const within = (r, outer, slack) =>
    r.left >= outer.left - slack &&
    r.right <= outer.right + slack &&
    r.top >= outer.top - slack &&
    r.bottom <= outer.bottom + slack;

  for (const svg of document.querySelectorAll('svg')) {
    const group = svg.closest('section')?.previousElementSibling?.textContent ?? '';
    const panel = `${group} / ${svg.getAttribute('aria-label')}`;
    const frame = svg.querySelector('rect.frame');
    if (!frame) {
      problems.push(`${panel}: no plot frame`);
      continue;
    }
    counts.panels++;
    const plot = box(frame);

    // A point's centre, and a whole bar, lie inside the plot (a pixel of slack for the border).
    for (const c of svg.querySelectorAll('circle')) {
      counts.points++;
      const r = box(c);
      const centre = { left: (r.left + r.right) / 2, top: (r.top + r.bottom) / 2 };
      const point = { ...centre, right: centre.left, bottom: centre.top };
      if (!within(point, plot, 1)) problems.push(`${panel}: a point at ${point.left},${point.top} is outside the plot`);
      if (!c.querySelector('title')?.textContent) problems.push(`${panel}: a point without its reason`);
    }
    // The time axis spans the decisions: the first and the last replicas point (every decision has one) a
    // few pixels inside the plot; an axis shorter than 3 s is centred on 3 s, a single time in the middle.
    const replicas = svg.getAttribute('aria-label') === 'replicas';
    const timed = [...(replicas ? svg.querySelectorAll('circle') : [])].map((c) => {
      const r = box(c);
      return { x: (r.left + r.right) / 2, t: Date.parse(/^(\S+?Z):/.exec(c.textContent)?.[1] ?? '') };
    });
    if (timed.length > 0) {
      const [first, last] = [timed[0], timed.at(-1)];
      const span = last.t - first.t;
      if (span === 0 && Math.abs(first.x - (plot.left + plot.right) / 2) > 2)
        problems.push(`${panel}: a single time is not in the middle of the plot (${first.x})`);
      if (span >= 3000 && (first.x - plot.left > 12 || plot.right - last.x > 12))
        problems.push(`${panel}: the points span ${first.x}–${last.x} of the plot's ${plot.left}–${plot.right}`);
    }
    for (const b of svg.querySelectorAll('rect.bar')) {
      counts.bars++;
      if (!within(box(b), plot, 1)) problems.push(`${panel}: a failure bar is outside the plot`);
    }
    for (const b of svg.querySelectorAll('rect.band')) {
      counts.bands++;
      if (!(b.getBBox().height > 0.5)) problems.push(`${panel}: an empty band`);
    }

    // Every label is whole inside the panel, and no two labels overlap.
    const texts = [...svg.querySelectorAll('text')];
    const outer = box(svg);
    texts.forEach((t, i) => {
      if (!within(box(t), outer, 0)) problems.push(`${panel}: label "${t.textContent}" is cut off`);
      for (const u of texts.slice(i + 1))
        if (overlap(box(t), box(u)))
          problems.push(`${panel}: labels "${t.textContent}" and "${u.textContent}" overlap`);
    });

    const xs = [...svg.querySelectorAll('text.xtick')].map((t) => (box(t).left + box(t).right) / 2);
    counts.timeLabels += xs.length;
    counts.valueLabels += svg.querySelectorAll('text.ytick').length;
    if (xs.length < 2) problems.push(`${panel}: ${xs.length} time labels`);
    if (xs.some((x, i) => i > 0 && x <= xs[i - 1])) problems.push(`${panel}: time labels not left to right`);
  }

  const pre = document.createElement('pre');
  pre.id = 'measured';
  pre.textContent = JSON.stringify({ ...counts, problems });
  document.body.append(pre);
})();
