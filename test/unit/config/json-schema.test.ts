// The JSON Schema editors use: committed, current, and accepting every shipped configuration, as a
// standard validator (ajv) reads it; and README's configuration reference names exactly its keys.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { configJsonSchema, keyPaths } from '../../../src/config/json-schema.ts';

const committed = JSON.parse(readFileSync('jobs/scaler.schema.json', 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, validateFormats: false, strict: false }).compile(committed);

function shipped(): [string, unknown][] {
  const configMap = load(readFileSync('jobs/base/config.yaml', 'utf8')) as { data: Record<string, string> };
  return [
    ['jobs/base/config.yaml (scaler.yaml)', load(configMap.data['scaler.yaml']!)],
    ['examples/fibonacci/scaler.yaml', load(readFileSync('examples/fibonacci/scaler.yaml', 'utf8'))],
    [
      "examples/fibonacci/evaluation_config.yaml (LPA's file)",
      load(readFileSync('examples/fibonacci/evaluation_config.yaml', 'utf8')),
    ],
  ];
}

describe('jobs/scaler.schema.json', () => {
  it('is what the schema generates (run npm run schema after changing src/config/schema.ts)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(configJsonSchema())));
  });

  for (const [name, doc] of shipped()) {
    it(`accepts ${name}`, () => {
      assert.ok(validate(doc), JSON.stringify(validate.errors));
    });
  }

  it('refuses what the scaler refuses: an unknown key, a wrong type, a target type that is no type', () => {
    const good = shipped()[1]![1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const bad of [
      { ...good, decya: {} },
      { ...good, loadTest: { ...good['loadTest'], users: 'ten' } },
      { ...good, replicas: { min: -1 } },
    ]) {
      assert.equal(validate(bad), false, JSON.stringify(bad).slice(0, 80));
    }
  });

  it("README's configuration reference names every key of the schema, and no other", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(
      readme.indexOf('### Configuration reference'),
      readme.indexOf('### Environment and flags'),
    );
    const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(documented.length > 40, `found ${documented.length} rows`);
    const known = keyPaths(committed);
    assert.deepEqual(
      documented.filter((k) => !known.includes(k)),
      [],
      'documented but not in the schema',
    );
    assert.deepEqual(
      known.filter((k) => !documented.includes(k)),
      [],
      'in the schema but not documented',
    );
  });
});
