// The EKS token against the documented format, with the SigV4 signature recomputed here from the
// spec with node:crypto (not with the signer under test).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { eksToken } from '../../../src/aws/eks-token.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = new Date('2026-01-02T03:04:05Z');

function expectedUrl(region: string, cluster: string, token?: string): string {
  const host = `sts.${region}.amazonaws.com`;
  const date = '20260102T030405Z';
  const scope = `20260102/${region}/sts/aws4_request`;
  const params: Record<string, string> = {
    Action: 'GetCallerIdentity',
    Version: '2011-06-15',
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': '60',
    'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    ...(token ? { 'X-Amz-Security-Token': token } : {}),
  };
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.keys(params)
    .sort()
    .map((k) => `${enc(k)}=${enc(params[k]!)}`)
    .join('&');
  const canonical = [
    'GET',
    '/',
    query,
    `host:${host}`,
    `x-k8s-aws-id:${cluster}`,
    '',
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, '20260102'), region), 'sts'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `https://${host}/?${query}&X-Amz-Signature=${signature}`;
}

function decode(token: string): string {
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/, 'prefix, then base64url without padding');
  return Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
}

it('a fixed clock and credentials give the known token', async () => {
  const token = await eksToken({ clusterName: 'prod', region: 'eu-west-1', credentials, now });
  const url = decode(token);
  const sorted = (u: string) => {
    const x = new URL(u);
    return [...x.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b));
  };
  assert.deepEqual(sorted(url), sorted(expectedUrl('eu-west-1', 'prod')));
  assert.equal(new URL(url).host, 'sts.eu-west-1.amazonaws.com');
  assert.equal(token, await eksToken({ clusterName: 'prod', region: 'eu-west-1', credentials, now }), 'deterministic');
});

it('temporary credentials carry the session token; another cluster signs differently', async () => {
  const url = decode(
    await eksToken({
      clusterName: 'prod',
      region: 'us-east-1',
      credentials: { ...credentials, sessionToken: 'SESSION/TOKEN+1=' },
      now,
    }),
  );
  const got = new URL(url).searchParams;
  const want = new URL(expectedUrl('us-east-1', 'prod', 'SESSION/TOKEN+1=')).searchParams;
  assert.equal(got.get('X-Amz-Security-Token'), 'SESSION/TOKEN+1=');
  assert.equal(got.get('X-Amz-Signature'), want.get('X-Amz-Signature'));
  const other = new URL(
    decode(await eksToken({ clusterName: 'staging', region: 'us-east-1', credentials, now })),
  ).searchParams.get('X-Amz-Signature');
  assert.notEqual(other, got.get('X-Amz-Signature'));
});
