import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CSV_QUOTE, writeCsvFile } from '../../src/destinations/sql/csv.js';

test('text given as UTF-8 bytes is written exactly as the same text given as a string', async () => {
  const texts = ['[{"v":"ünïcødé 🚀"}]', `holds the quote ${CSV_QUOTE} once`, 'x'.repeat(3 << 20)];
  const asText = await writeCsvFile(
    texts.map((t, i) => [i, t, null]),
    3,
  );
  const asBytes = await writeCsvFile(
    texts.map((t, i) => [i, Buffer.from(t), null]),
    3,
  );
  try {
    expect(readFileSync(asBytes.path).equals(readFileSync(asText.path))).toBe(true);
    expect(readFileSync(asText.path, 'utf8')).toContain(
      `${CSV_QUOTE}holds the quote ${CSV_QUOTE}${CSV_QUOTE} once`,
    );
    expect(asBytes.nonNull).toEqual([3, 3, 0]);
  } finally {
    asText.delete();
    asBytes.delete();
  }
});
