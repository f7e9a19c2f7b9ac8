// `npm run demo:console`, shortened: the console serves the demo's scaler.yaml while the runs go on,
// its overview shows the pool's replicas as the runs change them, and nothing is left running after.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { runConsoleDemo } from '../../examples/demo/console-demo.ts';
import { alive } from '../../examples/demo/pool.ts';

it(
  'the console beside the live demo shows the rows the runs write, and ends with it',
  { timeout: 90_000 },
  async () => {
    const lines: string[] = [];
    let url: string | undefined;
    const seen: string[] = [];
    const watching = (async () => {
      while (lines.every((l) => !l.startsWith('\nsummary:'))) {
        if (url) {
          const text = await fetch(`${url}fragment/overview`).then(
            (r) => r.text(),
            () => '',
          );
          const replicas = /data-fact="replicas">\s*(\d+)\/1\/8/.exec(text)?.[1];
          if (replicas && seen.at(-1) !== replicas) seen.push(replicas);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const result = await runConsoleDemo({
      phases: { idle: 2, load: 14, cooldown: 4 },
      port: 0,
      out: (l) => lines.push(l),
      onConsole: (u) => (url = u),
    });
    await watching;
    assert.ok(url, `the console printed its address:\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => l.startsWith(`console: ${url}`)));
    assert.ok(result.maxReplicas >= 2, `the demo scaled up:\n${lines.join('\n')}`);
    assert.ok(seen.length >= 2 && seen.includes(String(result.maxReplicas)), `the page followed the runs: ${seen}`);
    await assert.rejects(fetch(url!), 'the console stopped with the demo');
    assert.deepEqual(result.pids.filter(alive), []);
  },
);
