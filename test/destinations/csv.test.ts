import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CSV_QUOTE, writeCsvFile } from '../../src/destinations/sql/csv.js';
import { packRows } from '../../src/normalize/packed-rows.js';

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

test('packed rows make the file their rows would, in both layouts, after a column was added', async () => {
  const earlier = [
    ['a', 1],
    [`q${CSV_QUOTE}q`, null],
  ];
  const later = [['c', 3, 'new column']];
  const all = [...earlier, ...later];
  for (const layout of [{}, { sequence: false, constants: ['run', 'src'] }]) {
    const fromRows = await writeCsvFile(all, 3, layout);
    const fromPacked = await writeCsvFile(later, 3, layout, [packRows(earlier, 2, [])]);
    try {
      expect(readFileSync(fromPacked.path, 'utf8')).toBe(readFileSync(fromRows.path, 'utf8'));
      expect(fromPacked.rows).toBe(3);
      expect(fromPacked.nonNull).toEqual([3, 2, 1]);
    } finally {
      fromRows.delete();
      fromPacked.delete();
    }
  }
});
