// cfn-lint (from PyPI, the cached venv of test/harness/aws/install.sh) passes on the SAM template, SAM
// transform included; and it is no rubber stamp: the same template with one property misspelt fails.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsToolsBin } from '../harness/moto.ts';

const lint = (path: string) =>
  spawnSync(join(awsToolsBin(), 'cfn-lint'), [path], { encoding: 'utf8', timeout: 120_000 });

it('cfn-lint passes on jobs/lambda/template.yaml', () => {
  const r = lint('jobs/lambda/template.yaml');
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

it("cfn-lint fails the same template with the table's BillingMode misspelt", () => {
  const broken = readFileSync('jobs/lambda/template.yaml', 'utf8').replace('BillingMode:', 'BillingModee:');
  assert.ok(broken.includes('BillingModee'));
  const path = join(mkdtempSync(join(tmpdir(), 'scaler-template-')), 'template.yaml');
  writeFileSync(path, broken);
  const r = lint(path);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /E3002 .*'BillingModee' was unexpected/);
});
