import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forPeople, redactDeep, redactUrl } from '../../../src/report/redact.ts';

describe('redactUrl', () => {
  it('masks user info and every query value, whatever its name; the names stay', () => {
    assert.equal(
      redactUrl('https://user:pw@hooks.example/scale?code=abc&sig=s1&key=k&x=1'),
      'https://[redacted]@hooks.example/scale?code=[redacted]&sig=[redacted]&key=[redacted]&x=[redacted]',
    );
    assert.equal(redactUrl('http://127.0.0.1:8089/'), 'http://127.0.0.1:8089/');
  });
});

describe('forPeople', () => {
  it('masks every URL inside text, leaving a sentence’s punctuation and URLs with nothing to mask', () => {
    const text =
      'POST http://127.0.0.1:9/scale?code=tok-1 answered 500; locust master http://admin:pw-2@127.0.0.1:8089: ' +
      'refused (see http://127.0.0.1:9/docs).';
    const said = forPeople(text);
    assert.ok(!said.includes('tok-1') && !said.includes('pw-2'), said);
    assert.match(said, /scale\?code=\[redacted\] answered/);
    assert.match(said, /master http:\/\/\[redacted\]@127\.0\.0\.1:8089: refused/);
    assert.match(said, /\(see http:\/\/127\.0\.0\.1:9\/docs\)\.$/);
  });

  it('escapes control characters from remote bodies (a window title, a screen clear); keeps tabs and newlines', () => {
    const body = 'bad\u001b]0;pwned\u0007 and \u001b[2J\u009b\tcol\nnext';
    assert.equal(forPeople(body), 'bad\\u001b]0;pwned\\u0007 and \\u001b[2J\\u009b\tcol\nnext');
  });

  it('inside JSON text: URLs end at the string’s quote, and the JSON still parses', () => {
    const json = JSON.stringify({ message: 'GET http://h:1/x?token=t-3 failed', at: 'http://h:1/y' });
    const parsed = JSON.parse(forPeople(json)) as { message: string; at: string };
    assert.equal(parsed.message, 'GET http://h:1/x?token=[redacted] failed');
    assert.equal(parsed.at, 'http://h:1/y');
  });

  it('redactDeep masks URLs inside any string field, not only a field that is one URL', () => {
    const safe = redactDeep({ error: 'webhook http://h/x?code=c-4 said 401' }) as { error: string };
    assert.ok(!safe.error.includes('c-4'), safe.error);
  });
});
