// The young-generation cap is set wherever the program is started, with the value the bench measures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const CAP = '--max-semi-space-size=16';
const read = (p: string) => readFileSync(p, 'utf8');

describe('NODE_OPTIONS where the program is started', () => {
  it('every stage of the Dockerfile that runs the bundle sets the cap', () => {
    const stages = read('Dockerfile')
      .split(/^FROM /m)
      .slice(1);
    const running = stages.filter((s) => /ENTRYPOINT \["node"/.test(s));
    assert.equal(running.length, 2);
    for (const stage of running) assert.match(stage, new RegExp(`NODE_OPTIONS=${CAP}\\b`), stage.split('\n')[0]);
  });

  it('the CronJob and the SAM template set it', () => {
    assert.match(read('jobs/base/cronjob.yaml'), /name: NODE_OPTIONS, value: "[^"]*--max-semi-space-size=16[ "]/);
    assert.match(read('jobs/lambda/template.yaml'), /NODE_OPTIONS: .*--max-semi-space-size=16\b/);
  });

  it('the bench measures the program with the same cap', () => {
    assert.match(read('test/bench/loadtest.ts'), new RegExp(`SHIPPED_NODE_OPTIONS = '${CAP}'`));
  });
});
