import { describe, expect, test } from 'vitest';
import { resourceSchema } from '../config/resource.js';
import { RestlakeError } from '../core/errors.js';
import { Normalizer, type NormalizeStats } from './normalizer.js';
import { unpackRows } from './packed-rows.js';
import type { RowSet } from './types.js';

function normalizer(resource: Record<string, unknown>, stats?: NormalizeStats) {
  const config = resourceSchema.parse({ name: 'things', endpoint: {}, ...resource });
  return new Normalizer(config, stats ? { stats } : {});
}

/** A RowSet as objects keyed by column name (missing trailing cells as null), for readable assertions. */
function objects(set: RowSet | undefined): Record<string, unknown>[] {
  if (!set) return [];
  return [...(set.packed ?? []).flatMap(unpackRows), ...set.rows].map((row) =>
    Object.fromEntries(set.table.columns.map((c, i) => [c.name, row[i] ?? null])),
  );
}

const byName = (sets: RowSet[]) => Object.fromEntries(sets.map((s) => [s.table.name, s]));

const conversations = [
  {
    id: 1,
    topic: 'billing',
    participants: [
      {
        user: 'ann',
        sessions: [
          { started: '2024-01-01T10:00:00Z', metrics: [{ name: 'latency', value: 12 }] },
          { started: '2024-01-02T10:00:00Z', metrics: [] },
        ],
      },
      {
        user: 'bob',
        sessions: [{ started: '2024-01-03T10:00:00Z', metrics: [{ name: 'mos', value: 4.5 }] }],
      },
    ],
  },
];

const fourLevels = {
  primary_key: ['id'],
  write: 'merge',
  nested: [
    {
      path: 'participants',
      table: 'participants',
      nested: [
        {
          path: 'sessions',
          table: 'sessions',
          nested: [{ path: 'metrics', table: 'metrics' }],
        },
      ],
    },
  ],
};

describe('child tables', () => {
  test('four levels: each row carries its parent key, its position and a stable row key', () => {
    const n = normalizer(fourLevels);
    expect(n.tables()).toEqual(['things', 'participants', 'sessions', 'metrics']);
    n.normalize(conversations, { page: 3, runId: 'r1' });
    const sets = byName(n.take());
    expect(objects(sets.things)).toEqual([{ _restlake_page: 3, id: 1, topic: 'billing' }]);
    expect(objects(sets.participants)).toEqual([
      { _parent_id: 1, _pos: 0, _row_key: '1/0', _restlake_page: 3, user: 'ann' },
      { _parent_id: 1, _pos: 1, _row_key: '1/1', _restlake_page: 3, user: 'bob' },
    ]);
    expect(objects(sets.sessions)).toEqual([
      {
        _parent_row_key: '1/0',
        _root_id: 1,
        _pos: 0,
        _row_key: '1/0/0',
        _restlake_page: 3,
        started: '2024-01-01T10:00:00Z',
      },
      {
        _parent_row_key: '1/0',
        _root_id: 1,
        _pos: 1,
        _row_key: '1/0/1',
        _restlake_page: 3,
        started: '2024-01-02T10:00:00Z',
      },
      {
        _parent_row_key: '1/1',
        _root_id: 1,
        _pos: 0,
        _row_key: '1/1/0',
        _restlake_page: 3,
        started: '2024-01-03T10:00:00Z',
      },
    ]);
    expect(objects(sets.metrics)).toEqual([
      {
        _parent_row_key: '1/0/0',
        _root_id: 1,
        _pos: 0,
        _row_key: '1/0/0/0',
        _restlake_page: 3,
        name: 'latency',
        value: 12,
      },
      {
        _parent_row_key: '1/1/0',
        _root_id: 1,
        _pos: 0,
        _row_key: '1/1/0/0',
        _restlake_page: 3,
        name: 'mos',
        value: 4.5,
      },
    ]);
    // The parent key column follows the parent's type; a merge finds a parent's children by the root key.
    expect(sets.participants!.table.rootKey).toEqual(['_parent_id']);
    expect(sets.sessions!.table.rootKey).toEqual(['_root_id']);
    expect(sets.participants!.table.columns.find((c) => c.name === '_parent_id')?.type).toBe('bigint');
    // The unnested array is not also kept as a JSON column of the parent.
    expect(sets.things!.table.columns.map((c) => c.name)).not.toContain('participants');
  });

  test('a key seen twice in one batch keeps only the last version and its children', () => {
    const n = normalizer(fourLevels);
    n.normalize(conversations, { page: 0, runId: 'r' });
    n.normalize([{ id: 1, topic: 'changed', participants: [{ user: 'cy', sessions: [] }] }], {
      page: 1,
      runId: 'r',
    });
    const sets = byName(n.take());
    expect(objects(sets.things).map((r) => r.topic)).toEqual(['changed']);
    expect(objects(sets.participants).map((r) => r.user)).toEqual(['cy']);
    expect(sets.sessions!.rows).toEqual([]);
    expect(sets.metrics!.rows).toEqual([]);
  });

  test('arrays of scalars: a JSON column by default, `value` rows when unnested', () => {
    const asJson = normalizer({});
    asJson.normalize([{ id: 1, tags: ['a', 'b'] }], { page: 0, runId: 'r' });
    expect(objects(asJson.take()[0])).toEqual([{ _restlake_page: 0, id: 1, tags: '["a","b"]' }]);

    const asTable = normalizer({ primary_key: ['id'], nested: [{ path: 'meta.tags', table: 'tags' }] });
    asTable.normalize([{ id: 7, meta: { tags: ['a', 'b'], n: 1 } }], { page: 0, runId: 'r' });
    const sets = byName(asTable.take());
    expect(objects(sets.things)).toEqual([{ _restlake_page: 0, id: 7, meta__n: 1 }]);
    expect(objects(sets.tags)).toEqual([
      { _parent_id: 7, _pos: 0, _row_key: '7/0', _restlake_page: 0, value: 'a' },
      { _parent_id: 7, _pos: 1, _row_key: '7/1', _restlake_page: 0, value: 'b' },
    ]);
  });

  test('without a primary key, the parent gets a generated row key its children point to', () => {
    const n = normalizer({ nested: [{ path: 'lines', table: 'lines' }] });
    n.normalize([{ n: 1, lines: [{ sku: 'x' }] }], { page: 2, runId: 'run' });
    const sets = byName(n.take());
    expect(objects(sets.things)).toEqual([{ _row_key: 'run/2/0', _restlake_page: 2, n: 1 }]);
    expect(objects(sets.lines)).toEqual([
      { _parent_row_key: 'run/2/0', _pos: 0, _row_key: 'run/2/0/0', _restlake_page: 2, sku: 'x' },
    ]);
    expect(sets.lines!.table.rootKey).toBeUndefined();
  });

  test('a page normalized in parts names each record by its place in the page', () => {
    const n = normalizer({ nested: [{ path: 'lines', table: 'lines' }], schema: { n: 'integer' } });
    const page = [{ n: 1 }, { n: 2 }, { n: 3, lines: [{ sku: 'x' }] }, { n: 'four' }];
    n.normalize(page, { page: 2, runId: 'run' }, 0, 2);
    n.normalize(page, { page: 2, runId: 'run' }, 2, 3);
    expect(() => n.normalize(page, { page: 2, runId: 'run' }, 3, 4)).toThrow(
      /page 2, record 3: cannot cast "four"/,
    );
    const sets = byName(n.take());
    expect(objects(sets.things).map((r) => r._row_key)).toEqual(['run/2/0', 'run/2/1', 'run/2/2']);
    expect(objects(sets.lines).map((r) => r._row_key)).toEqual(['run/2/2/0']);
  });

  test('parent_key copies chosen parent columns; the root key comes along for merges', () => {
    const n = normalizer({
      primary_key: ['id'],
      nested: [{ path: 'lines', table: 'lines', parent_key: ['id', 'region'] }],
    });
    n.normalize([{ id: 1, region: 'eu', lines: [{ sku: 'x' }] }], { page: 0, runId: 'r' });
    const lines = byName(n.take()).lines!;
    expect(objects(lines)).toEqual([
      {
        _parent_id: 1,
        _parent_region: 'eu',
        _root_id: 1,
        _pos: 0,
        _row_key: '1/0',
        _restlake_page: 0,
        sku: 'x',
      },
    ]);
    expect(lines.table.rootKey).toEqual(['_root_id']);
  });
});

describe('flattening', () => {
  test('max_nesting: objects deeper than the limit stay JSON', () => {
    const n = normalizer({ max_nesting: 1 });
    n.normalize([{ a: { b: 1, c: { d: 2 } } }], { page: 0, runId: 'r' });
    expect(objects(n.take()[0])).toEqual([{ _restlake_page: 0, a__b: 1, a__c: '{"d":2}' }]);
  });

  test('snake_case names with collisions suffixed; the raw key path is kept per column', () => {
    const n = normalizer({});
    n.normalize([{ userId: 1, user_id: 2, address: { zipCode: '1' } }], { page: 0, runId: 'r' });
    const [set] = n.take();
    expect(set!.table.columns.filter((c) => !c.metadata).map((c) => [c.name, c.source])).toEqual([
      ['user_id', 'userId'],
      ['user_id_2', 'user_id'],
      ['address__zip_code', 'address.zipCode'],
    ]);
  });

  test('inference widens across pages and re-casts what is buffered; a conflict becomes string', () => {
    const n = normalizer({});
    n.normalize([{ a: 1, b: true, c: '2024-01-01' }], { page: 0, runId: 'r' });
    n.normalize([{ a: 1.5, b: 7, c: '2024-01-02T03:00:00Z' }], { page: 1, runId: 'r' });
    const [set] = n.take();
    expect(Object.fromEntries(set!.table.columns.map((c) => [c.name, c.type]))).toMatchObject({
      a: 'double',
      b: 'string',
      c: 'timestamp',
    });
    expect(objects(set)).toEqual([
      { _restlake_page: 0, a: 1, b: 'true', c: '2024-01-01T00:00:00Z' },
      { _restlake_page: 1, a: 1.5, b: '7', c: '2024-01-02T03:00:00Z' },
    ]);
  });
});

describe('declared columns and cast errors', () => {
  const schema = {
    qty: 'integer',
    status: { type: 'string', required: true },
    country: { type: 'string', default: 'NL' },
  };
  const records = [
    { id: 1, qty: '3', status: 'ok' },
    { id: 2, qty: 'three', status: 'ok', country: 'BE' },
    { id: 3, qty: 4 },
  ];

  test('fail: names the record, the column and the value', () => {
    const n = normalizer({ schema });
    expect(() => n.normalize(records, { page: 5, runId: 'r' })).toThrow(
      /things, page 5, record 1: cannot cast "three" to integer \(column "qty"\)/,
    );
  });

  test('null: the value becomes NULL and is counted; a missing required value still fails', () => {
    const stats: NormalizeStats = { castErrors: {}, quarantined: 0 };
    const n = normalizer({ schema, on_cast_error: 'null' }, stats);
    expect(() => n.normalize(records, { page: 0, runId: 'r' })).toThrow(RestlakeError);
    expect(() => n.normalize(records.slice(0, 2), { page: 0, runId: 'r' })).not.toThrow();
    expect(stats.castErrors).toEqual({ 'things.qty': 2 });
  });

  test('quarantine: the record and its children go to the rejected rows with the reason', () => {
    const stats: NormalizeStats = { castErrors: {}, quarantined: 0 };
    const n = normalizer(
      {
        schema,
        on_cast_error: 'quarantine',
        primary_key: ['id'],
        nested: [{ path: 'lines', table: 'lines', schema: { n: 'integer' } }],
      },
      stats,
    );
    n.normalize(
      [
        { id: 1, qty: 1, status: 'ok', lines: [{ n: 1 }] },
        { id: 2, qty: 'three', status: 'ok', lines: [{ n: 1 }] },
        { id: 3, qty: 1, status: 'ok', lines: [{ n: 1 }, { n: 'x' }] },
        { id: 4, qty: 1 },
      ],
      { page: 9, runId: 'r' },
    );
    const sets = byName(n.take());
    expect(objects(sets.things).map((r) => [r.id, r.country])).toEqual([[1, 'NL']]);
    expect(objects(sets.lines).map((r) => r._parent_id)).toEqual([1]);
    expect(objects(sets.things__rejected)).toEqual([
      {
        _restlake_page: 9,
        table_name: 'things',
        column_name: 'qty',
        value: 'three',
        reason: 'cannot cast "three" to integer',
        record: JSON.stringify({ id: 2, qty: 'three', status: 'ok', lines: [{ n: 1 }] }),
      },
      {
        _restlake_page: 9,
        table_name: 'lines',
        column_name: 'n',
        value: 'x',
        reason: 'cannot cast "x" to integer',
        record: JSON.stringify({ id: 3, qty: 1, status: 'ok', lines: [{ n: 1 }, { n: 'x' }] }),
      },
      {
        _restlake_page: 9,
        table_name: 'things',
        column_name: 'status',
        value: null,
        reason: 'required column "status" has no value',
        record: '{"id":4,"qty":1}',
      },
    ]);
    expect(sets.things__rejected!.table.appendOnly).toBe(true);
    expect(stats).toEqual({ castErrors: { 'things.qty': 1, 'lines.n': 1 }, quarantined: 3 });
  });

  test('metadata columns can be renamed or left out; windows appear only on windowed loads', () => {
    const config = resourceSchema.parse({
      name: 'w',
      endpoint: {},
      metadata_columns: { page: 'page_no', window_start: 'ws', window_end: false },
    });
    const n = new Normalizer(config, { windowed: true });
    n.normalize([{ a: 1 }], { page: 1, runId: 'r', window: { start: '2024-01-01T00:00:00Z', end: null } });
    expect(objects(n.take()[0])).toEqual([{ page_no: 1, ws: '2024-01-01T00:00:00Z', a: 1 }]);
  });
});

describe('unique keys: whether a merge may skip deduplicating the batch', () => {
  const page = { page: 0, runId: 'r' };
  const take = (resource: Record<string, unknown>, records: unknown[]) => {
    const n = normalizer({ primary_key: ['id'], write: 'merge', ...resource });
    n.normalize(records, page);
    return n.take()[0]!.uniqueKeys;
  };

  test('distinct integer keys are unique; a repeated one is not', () => {
    expect(take({}, [{ id: 1 }, { id: 2 }])).toBe(true);
    expect(take({}, [{ id: 1 }, { id: 2 }, { id: 1 }])).toBe(false);
  });

  test('keys in any order are judged exactly, not only growing ones', () => {
    expect(take({}, [{ id: 5 }, { id: 9 }, { id: 2 }, { id: 7 }])).toBe(true);
    expect(take({}, [{ id: 5 }, { id: 9 }, { id: 2 }, { id: 9 }])).toBe(false);
    expect(take({}, [{ id: 5 }, { id: 9 }, { id: 5 }])).toBe(false);
    expect(take({}, [{ id: 'b' }, { id: 'c' }, { id: 'a' }])).toBe(true);
    expect(take({}, [{ id: 'a' }, { id: 'b' }, { id: 'b' }])).toBe(false);
    // 1 and "1" are one key in the database's text comparison.
    expect(take({ schema: { id: 'string' } }, [{ id: 1 }, { id: '1' }])).toBe(false);
    expect(take({}, [{ id: 1, x: 1 }, { id: 1 }])).toBe(false);
  });

  test('keys whose text is not canonical are never claimed unique (1.5 and 1.50 are one decimal)', () => {
    expect(take({ schema: { id: 'decimal(4,2)' } }, [{ id: '1.5' }, { id: '1.50' }])).toBe(false);
    expect(take({ schema: { id: 'timestamp' } }, [{ id: '2024-01-01T00:00:00Z' }])).toBe(false);
  });

  test('each batch is judged on its own', () => {
    const n = normalizer({ primary_key: ['id'], write: 'merge' });
    n.normalize([{ id: 1 }, { id: 1 }], page);
    expect(n.take()[0]!.uniqueKeys).toBe(false);
    n.normalize([{ id: 1 }, { id: 2 }], page);
    expect(n.take()[0]!.uniqueKeys).toBe(true);
  });
});

describe('packed pages: the rows of the earlier pages of a batch, held as text', () => {
  const page = (n: number) => ({ page: n, runId: 'r' });

  test('they are handed over packed, before the rows of the last page', () => {
    const n = normalizer({ primary_key: ['id'], write: 'merge' });
    n.normalize([{ id: 1, v: 'a' }], page(0));
    n.pack();
    n.normalize([{ id: 2, v: 'b' }], page(1));
    const [set] = n.take();
    expect(set!.packed).toHaveLength(1);
    expect(set!.rows).toHaveLength(1);
    expect(objects(set).map((r) => [r.id, r.v])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(n.bufferedRows).toBe(0);
  });

  test('a later page that changes the type of a column re-casts them: the rows are those of a batch never packed', () => {
    const pages = [
      [{ v: 'abc', w: 1, x: true, d: '2024-01-01', t: 'plain' }],
      [{ v: { a: 1 }, w: 2.5, x: 'yes', d: '2024-01-02T03:00:00Z', t: ['a', 1] }],
      [{ v: 'def', w: 3, x: false, d: '2024-01-03', t: { nested: [1] } }],
    ];
    const run = (pack: boolean) => {
      const n = normalizer({ max_nesting: 0 });
      pages.forEach((records, i) => {
        n.normalize(records, page(i));
        if (pack) n.pack();
      });
      const [set] = n.take();
      return { columns: set!.table.columns, rows: objects(set) };
    };
    const packed = run(true);
    expect(packed).toEqual(run(false));
    // Each of these changed type after the first page was packed.
    const typeOf = (name: string) => packed.columns.find((c) => c.name === name)?.type;
    expect(['w', 'x', 'd'].map(typeOf)).toEqual(['double', 'string', 'timestamp']);
    expect(packed.rows.map((r) => r.x)).toEqual(['true', 'yes', 'false']);
  });

  test('a record quarantined after earlier pages were packed takes only its own child rows with it', () => {
    const n = normalizer({
      primary_key: ['id'],
      on_cast_error: 'quarantine',
      nested: [{ path: 'lines', table: 'lines', schema: { n: 'integer' } }],
    });
    n.normalize([{ id: 1, lines: [{ n: 1 }, { n: 2 }] }], page(0));
    n.pack();
    n.normalize(
      [
        { id: 2, lines: [{ n: 3 }] },
        { id: 3, lines: [{ n: 4 }, { n: 'x' }] },
      ],
      page(1),
    );
    const sets = byName(n.take());
    expect(objects(sets.lines).map((r) => r.n)).toEqual([1, 2, 3]);
    expect(objects(sets.things).map((r) => r.id)).toEqual([1, 2]);
  });

  test('a key repeated across packed pages is seen: the batch is not claimed unique', () => {
    const uniqueAcross = (...pages: { id: number }[][]) => {
      const n = normalizer({ primary_key: ['id'], write: 'merge' });
      pages.forEach((records, i) => {
        n.normalize(records, page(i));
        n.pack();
      });
      return n.take()[0]!.uniqueKeys;
    };
    expect(uniqueAcross([{ id: 1 }, { id: 2 }], [{ id: 3 }, { id: 1 }])).toBe(false);
    expect(uniqueAcross([{ id: 5 }, { id: 9 }], [{ id: 2 }, { id: 7 }])).toBe(true);
    expect(uniqueAcross([{ id: 5 }, { id: 9 }], [{ id: 2 }, { id: 9 }])).toBe(false);
  });
});
