// The console's safety checks, case by case (console/security.ts): which hosts need no token, how a
// token and a CSRF token are matched, and which POSTs are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTENT_SECURITY_POLICY,
  csrfRefusal,
  hostName,
  isLoopback,
  parseCookies,
  sameSecret,
  tokenOf,
} from '../../../src/console/security.ts';

describe('loopback addresses and Host names', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example', false],
    ['', false],
  ];
  for (const [address, loopback] of cases)
    it(`${JSON.stringify(address)} is ${loopback ? '' : 'not '}loopback`, () =>
      assert.equal(isLoopback(address), loopback));

  it('the Host header without its port', () => {
    assert.equal(hostName('127.0.0.1:8080'), '127.0.0.1');
    assert.equal(hostName('[::1]:8080'), '[::1]');
    assert.equal(hostName('localhost'), 'localhost');
    assert.equal(hostName('rebound.evil.example:8080'), 'rebound.evil.example');
    assert.equal(hostName(undefined), '');
  });
});

describe('tokens', () => {
  it('equal only when equal, whatever the length of the guess', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abd', 'abc'), false);
    assert.equal(sameSecret('abcd', 'abc'), false);
    assert.equal(sameSecret('', 'abc'), false);
    assert.equal(sameSecret(undefined, 'abc'), false);
  });

  it('read from the Authorization header, the cookie and the query', () => {
    const url = new URL('http://h/?token=q1');
    const got = tokenOf({ authorization: 'Bearer b1', cookie: 'a=1; ls_token=c%3D1' }, url);
    assert.deepEqual(got, { bearer: 'b1', cookie: 'c=1', query: 'q1' });
    assert.deepEqual(parseCookies('x=1;  y = 2 ;broken'), { x: '1', y: '2' });
  });
});

describe('which POSTs may change something', () => {
  const host = '127.0.0.1:8080';
  const cases: [string, Record<string, string>, string | undefined, string | undefined, RegExp | undefined][] = [
    ['a form of this page', { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' }, 'k', 'k', undefined],
    ['a client that sends no Origin', { host }, 'k', 'k', undefined],
    ['no CSRF field', { host }, 'k', undefined, /no CSRF token/],
    ['no CSRF cookie', { host }, undefined, 'k', /no CSRF token/],
    ['a wrong CSRF field', { host }, 'k', 'j', /does not match/],
    ['another origin', { host, origin: 'http://evil.example' }, 'k', 'k', /another origin \(http:\/\/evil.example\)/],
    ['an opaque origin', { host, origin: 'null' }, 'k', 'k', /another origin \(null\)/],
    ['another site', { host, 'sec-fetch-site': 'cross-site' }, 'k', 'k', /another site/],
    ['a sibling subdomain', { host, 'sec-fetch-site': 'same-site' }, 'k', 'k', /another site/],
  ];
  for (const [name, headers, cookieValue, field, refused] of cases)
    it(`${name}: ${refused ? 'refused' : 'allowed'}`, () => {
      const said = csrfRefusal(headers, cookieValue, field);
      if (refused) assert.match(said ?? '', refused);
      else assert.equal(said, undefined);
    });
});

it('the Content-Security-Policy allows no inline script and nothing from elsewhere', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
});
