// Counts in words: one is singular, every other count plural.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plural, word } from '../../src/plural.ts';

describe('plural', () => {
  it('1 decision, 0 and 3 decisions; a plural of its own where -s is wrong', () => {
    assert.deepEqual(
      [0, 1, 3].map((n) => plural(n, 'decision')),
      ['0 decisions', '1 decision', '3 decisions'],
    );
    assert.equal(plural(1, 'calm run'), '1 calm run');
    assert.equal(plural(2, 'entry', 'entries'), '2 entries');
    assert.deepEqual(
      [1, 2].map((n) => word(n, 'was', 'were')),
      ['was', 'were'],
    );
  });
});
