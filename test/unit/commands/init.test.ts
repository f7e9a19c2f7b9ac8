import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { proposedLimit, RECOMMENDED_POLICY } from '../../../src/commands/init.ts';

describe('init: the proposed latency limit', () => {
  it('the baseline × the factor, rounded up to two significant digits', () => {
    assert.equal(proposedLimit(32.66, 2), 66);
    assert.equal(proposedLimit(4.2, 2), 9);
    assert.equal(proposedLimit(1234, 2), 2500);
    assert.equal(proposedLimit(0.1, 2), 1, 'never below 1 ms');
  });
});

describe('init: the policy it writes', () => {
  it('is examples/recommended-policy.yaml, key for key', () => {
    const example = load(readFileSync('examples/recommended-policy.yaml', 'utf8'));
    assert.deepEqual(load(RECOMMENDED_POLICY), example);
  });
});
