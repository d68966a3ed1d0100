import { expect, test } from 'vitest';
import { redact, redactDeep, registerSecret } from './redact.js';

test('a secret is masked in every form a text holds it: as is, URL-encoded, base64, JSON-escaped', () => {
  const secret = 'k3y/with"quote\\slash';
  registerSecret(secret);
  const json = JSON.stringify({ token: secret });
  // Some APIs (PHP's json_encode, for one) escape every slash.
  const slashes = json.replaceAll('/', '\\/');
  for (const text of [
    `token=${secret}`,
    `token=${encodeURIComponent(secret)}`,
    `Basic ${Buffer.from(secret).toString('base64')}`,
    json,
    slashes,
  ]) {
    expect(redact(text), text).toContain('***');
    expect(redact(text)).not.toContain('k3y');
  }
  expect(JSON.parse(redact(json))).toEqual({ token: '***' });
  expect(redactDeep({ got: [{ token: secret }], n: 1 })).toEqual({ got: [{ token: '***' }], n: 1 });
  expect(redact('nothing to hide')).toBe('nothing to hide');
});
