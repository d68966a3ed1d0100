/** Plain aligned text tables for terminal output; long cells are cut so a row stays on one line. */
export function formatTable(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  maxCell = 60,
): string {
  const text = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    const s =
      value instanceof Date
        ? value.toISOString().replace('.000Z', 'Z')
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    const flat = s.replace(/\s+/g, ' ');
    return flat.length > maxCell ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const cells = rows.map((row) => columns.map((c) => text(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
