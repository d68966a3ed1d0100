import type { NestedTableConfig } from '../config/normalize.js';
import type { ResourceConfig } from '../config/schema.js';
import { RestlakeError } from '../core/errors.js';
import { fitIdentifier } from '../core/identifiers.js';
import { type Getter, getterFor } from './key-path.js';
import { RejectedRecords } from './rejected.js';
import { type KeyNode, Rejection, type Row, TableBuilder } from './table-builder.js';
import type { PageContext, RowSet } from './types.js';

/** Counts a load reports in its audit row. */
export interface NormalizeStats {
  /** Values that could not be cast, per `table.column`. */
  castErrors: Record<string, number>;
  /** Records moved to the `<table>__rejected` table. */
  quarantined: number;
}

export interface NormalizerOptions {
  /** The load has a window: rows get the window columns (when they are configured). */
  windowed?: boolean;
  stats?: NormalizeStats;
  /** Per table, record key path → column name as earlier loads named them (from the schema history). */
  knownColumns?: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** Column types whose values, as the normalizer holds them, are equal exactly when the database's are. */
const CANONICAL_KEY_TYPES: ReadonlySet<string> = new Set([
  'string',
  'integer',
  'bigint',
  'double',
  'boolean',
]);

/** The columns a child row gets from its parent and its position. */
const POS = '_pos';
const ROW_KEY = '_row_key';
const prefixed = (prefix: string, column: string) => fitIdentifier(`${prefix}${column.replace(/^_+/, '')}`);

interface ChildLink {
  get: Getter;
  parent: TableBuilder;
  builder: TableBuilder;
  /** Parent columns copied onto each child row: names in the parent, indexes there (-1 until known), here. */
  parentKey: string[];
  parentIndex: number[];
  keyIndex: number[];
  /** Root key copies (children below the first level): root column indexes → indexes here. */
  rootFrom: number[];
  rootTo: number[];
  posIndex: number;
  rowKeyIndex: number;
  /** Where the elements of an array of scalars go (`value`). */
  valueNode: KeyNode;
  children: ChildLink[];
}

/** Per table: where the page number and window columns are (-1: not configured). */
interface Stamps {
  page: number;
  windowStart: number;
  windowEnd: number;
}

/**
 * Turns the records of one resource into rows of its silver table and of its child tables: nested objects
 * flattened into `parent__child` columns, configured arrays unnested into child tables (each child row
 * carrying its parent's key, its position and a stable row key), names in snake_case, values cast to the
 * declared type or to the type inferred so far. One normalizer lives for one load, so what it learns about
 * the tables carries from page to page; `take` hands each batch's rows over.
 */
export class Normalizer {
  readonly #root: TableBuilder;
  readonly #rootLinks: ChildLink[] = [];
  /** Every table's builder, the root first, children depth-first. */
  readonly #builders: TableBuilder[] = [];
  readonly #stamps = new Map<TableBuilder, Stamps>();
  readonly #rejected: RejectedRecords;
  readonly #onCastError: ResourceConfig['on_cast_error'];
  readonly #stats: NormalizeStats;
  readonly #pkIndex: number[] = [];
  /** Root tables without a primary key but with children get a generated `_row_key`. */
  readonly #rootRowKey: number;
  readonly #maxNesting: number;
  readonly #knownColumns: NormalizerOptions['knownColumns'];
  /** Child row counts before the current record (quarantine undoes them; dedup finds a record's children). */
  readonly #marks: number[];
  readonly #trackRecords: boolean;
  /** Merges with child tables: a key seen twice in a batch drops the earlier record's rows and children. */
  readonly #dedupe: boolean;
  /** Root keys of the batch so far (with a primary key), and whether one came twice. */
  readonly #seen = new Map<string, number>();
  #duplicates = false;
  /** The last root key of the batch while every key so far was greater than the one before. */
  #lastKey: number | string | undefined;
  readonly #starts: number[][];
  #dropped = false;
  #context: PageContext = { page: 0, runId: '' };

  constructor(resource: ResourceConfig, options: NormalizerOptions = {}) {
    this.#onCastError = resource.on_cast_error;
    this.#stats = options.stats ?? { castErrors: {}, quarantined: 0 };
    this.#maxNesting = resource.max_nesting ?? Number.POSITIVE_INFINITY;
    this.#knownColumns = options.knownColumns;
    const primaryKey = resource.primary_key ?? [];
    this.#root = this.#builder(resource.table ?? resource.name, primaryKey, undefined);
    this.#rootRowKey =
      primaryKey.length === 0 && resource.nested.length > 0 ? this.#root.reserve(ROW_KEY, 'string') : -1;
    for (const [name, spec] of Object.entries(resource.schema)) this.#root.declare(name, spec);
    this.#stamp(this.#root, resource, options.windowed ?? false);
    for (const key of primaryKey) this.#pkIndex.push(this.#root.indexOf(key) ?? -1);
    const rootKey = primaryKey.length > 0 ? primaryKey : [ROW_KEY];
    for (const nested of resource.nested) {
      this.#rootLinks.push(
        this.#link(nested, this.#root, rootKey, rootKey, 1, resource, options.windowed ?? false),
      );
    }
    this.#rejected = new RejectedRecords(this.#root.name, resource.metadata_columns, this.#builderOptions());
    const children = this.#builders.length - 1;
    this.#marks = new Array<number>(children).fill(0);
    this.#trackRecords = children > 0 && (resource.on_cast_error === 'quarantine' || primaryKey.length > 0);
    this.#dedupe = children > 0 && primaryKey.length > 0 && resource.write !== 'append';
    this.#starts = Array.from({ length: children }, () => []);
  }

  #builderOptions() {
    return {
      maxNesting: this.#maxNesting,
      nullOnCastError: this.#onCastError === 'null',
      onCastError: (table: string, column: string) => {
        const key = `${table}.${column}`;
        this.#stats.castErrors[key] = (this.#stats.castErrors[key] ?? 0) + 1;
      },
    };
  }

  #builder(
    name: string,
    primaryKey: readonly string[],
    rootKey: readonly string[] | undefined,
  ): TableBuilder {
    const known = this.#knownColumns?.get(name);
    const builder = new TableBuilder({ ...this.#builderOptions(), name, primaryKey, rootKey, known });
    this.#builders.push(builder);
    return builder;
  }

  #stamp(builder: TableBuilder, resource: ResourceConfig, windowed: boolean): void {
    const names = resource.metadata_columns;
    const reserve = (name: string | false, type: 'bigint' | 'timestamp') =>
      name ? builder.reserve(name, type, { metadata: true }) : -1;
    this.#stamps.set(builder, {
      page: reserve(names.page, 'bigint'),
      windowStart: windowed ? reserve(names.window_start, 'timestamp') : -1,
      windowEnd: windowed ? reserve(names.window_end, 'timestamp') : -1,
    });
  }

  /**
   * A child table below `parent`. Its rows carry `_parent_<column>` for each parent key column, and, below
   * the first level (or when the parent key is not the root's), `_root_<column>` for the root's primary key,
   * by which a merge replaces them.
   */
  #link(
    nested: NestedTableConfig,
    parent: TableBuilder,
    parentDefaultKey: readonly string[],
    rootKey: readonly string[],
    depth: number,
    resource: ResourceConfig,
    windowed: boolean,
  ): ChildLink {
    const parentKey = nested.parent_key ?? [...parentDefaultKey];
    const sameAsRoot = depth === 1 && parentKey.join('\u0000') === rootKey.join('\u0000');
    const copiesRoot = !sameAsRoot && (resource.primary_key?.length ?? 0) > 0;
    const parentColumns = parentKey.map((k) => prefixed('_parent_', k));
    const rootColumns = copiesRoot ? rootKey.map((k) => prefixed('_root_', k)) : [];
    const hasRootKey = (resource.primary_key?.length ?? 0) > 0;
    const builder = this.#builder(
      nested.table,
      [],
      hasRootKey ? (sameAsRoot ? parentColumns : rootColumns) : undefined,
    );
    const keyIndex = parentKey.map((k, i) =>
      builder.reserve(parentColumns[i]!, 'string', { link: { table: parent, name: k } }),
    );
    const rootTo = rootKey.flatMap((k, i) =>
      copiesRoot
        ? [builder.reserve(rootColumns[i]!, 'string', { link: { table: this.#root, name: k } })]
        : [],
    );
    const link: ChildLink = {
      get: getterFor(nested.path),
      parent,
      builder,
      parentKey,
      parentIndex: parentKey.map(() => -1),
      keyIndex,
      rootFrom: copiesRoot ? rootKey.map(() => -1) : [],
      rootTo,
      posIndex: builder.reserve(POS, 'bigint'),
      rowKeyIndex: builder.reserve(ROW_KEY, 'string'),
      valueNode: builder.child(builder.root, 'value'),
      children: [],
    };
    for (const [name, spec] of Object.entries(nested.schema)) builder.declare(name, spec);
    this.#stamp(builder, resource, windowed);
    // The path is read for the child table, not flattened into the parent.
    let node = parent.root;
    for (const key of nested.path.split('.')) node = parent.child(node, key);
    node.nested = true;
    for (const grandchild of nested.nested) {
      link.children.push(this.#link(grandchild, builder, [ROW_KEY], rootKey, depth + 1, resource, windowed));
    }
    return link;
  }

  /** Every table this resource writes (not counting the rejected-records table), the resource's first. */
  tables(): string[] {
    return this.#builders.map((b) => b.name);
  }

  /** Rows buffered in every table (rejected records included), for sizing batches. */
  get bufferedRows(): number {
    let n = this.#rejected.size;
    for (const builder of this.#builders) n += builder.count;
    return n;
  }

  /**
   * Packs the rows of the pages normalized so far (see packed-rows.ts); called after each page. Not where a
   * later duplicate drops rows already buffered.
   */
  pack(): void {
    if (this.#dedupe) return;
    for (const builder of this.#builders) builder.pack();
  }

  /**
   * Normalizes one page's records (those from `from` to `to`, for a page done in parts) into the buffers; the
   * schema may grow while doing so.
   */
  normalize(records: readonly unknown[], context: PageContext, from = 0, to = records.length): void {
    this.#context = context;
    const root = this.#root;
    const builders = this.#builders;
    for (let i = from; i < to; i++) {
      const record = records[i];
      if (this.#trackRecords)
        for (let k = 1; k < builders.length; k++) this.#marks[k - 1] = builders[k]!.count;
      const row: Row = [];
      try {
        if (record !== null && typeof record === 'object' && !Array.isArray(record)) {
          root.walk(record as Record<string, unknown>, root.root, row);
        } else {
          root.set(root.child(root.root, 'value'), record, row);
        }
        root.finish(record, row);
        this.#stampRow(root, row);
        this.#checkKey(row);
        if (this.#rootLinks.length > 0 || this.#dedupe) {
          const key = this.#rootKey(row, i);
          if (this.#rootLinks.length > 0) this.#children(this.#rootLinks, record, row, key, row);
          root.rows.push(row);
          if (this.#dedupe) this.#dropEarlier(key);
        } else {
          root.rows.push(row);
          if (this.#pkIndex.length > 0) this.#noteKey(row);
        }
      } catch (error) {
        if (!(error instanceof Rejection)) throw error;
        this.#reject(error, record, i);
      }
    }
  }

  /** Rejects a root row whose primary key is missing or null. */
  #checkKey(row: Row): void {
    const pk = this.#pkIndex;
    for (let k = 0; k < pk.length; k++) {
      if (pk[k]! < 0) pk[k] = this.#root.indexOf(this.#root.primaryKey[k]!) ?? -1;
      const value = pk[k]! < 0 ? undefined : row[pk[k]!];
      if (value === undefined || value === null) {
        const column = this.#root.primaryKey[k]!;
        throw new Rejection(
          this.#root.name,
          column,
          null,
          `primary key column "${column}" is missing or null`,
        );
      }
    }
  }

  /** The root row's key as text: the parent part of its children's row keys, and what deduplication compares. */
  #rootKey(row: Row, record: number): string {
    const pk = this.#pkIndex;
    if (pk.length === 0) {
      if (this.#rootRowKey < 0) return '';
      const key = `${this.#context.runId}/${this.#context.page}/${record}`;
      row[this.#rootRowKey] = key;
      return key;
    }
    if (pk.length === 1) return String(row[pk[0]!]);
    return JSON.stringify(pk.map((index) => row[index]));
  }

  #stampRow(builder: TableBuilder, row: Row): void {
    const stamps = this.#stamps.get(builder)!;
    if (stamps.page >= 0) row[stamps.page] = this.#context.page;
    if (stamps.windowStart >= 0) row[stamps.windowStart] = this.#context.window?.start ?? null;
    if (stamps.windowEnd >= 0) row[stamps.windowEnd] = this.#context.window?.end ?? null;
  }

  #children(links: ChildLink[], record: unknown, parentRow: Row, parentKey: string, rootRow: Row): void {
    for (const link of links) {
      const value = link.get(record);
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (let pos = 0; pos < value.length; pos++)
          this.#child(link, value[pos], pos, parentRow, parentKey, rootRow);
      } else {
        this.#child(link, value, 0, parentRow, parentKey, rootRow);
      }
    }
  }

  #child(
    link: ChildLink,
    element: unknown,
    pos: number,
    parentRow: Row,
    parentKey: string,
    rootRow: Row,
  ): void {
    const builder = link.builder;
    const row: Row = [];
    for (let k = 0; k < link.parentKey.length; k++) {
      let index = link.parentIndex[k]!;
      if (index < 0) index = link.parentIndex[k] = link.parent.indexOf(link.parentKey[k]!) ?? -1;
      const value = index < 0 ? undefined : parentRow[index];
      if (value === undefined || value === null) {
        const column = link.parentKey[k]!;
        throw new Rejection(builder.name, column, null, `parent key column "${column}" is missing or null`);
      }
      row[link.keyIndex[k]!] = value;
    }
    for (let k = 0; k < link.rootTo.length; k++) {
      if (link.rootFrom[k]! < 0) link.rootFrom[k] = this.#pkIndex[k]!;
      row[link.rootTo[k]!] = rootRow[link.rootFrom[k]!] ?? null;
    }
    row[link.posIndex] = pos;
    const key = `${parentKey}/${pos}`;
    row[link.rowKeyIndex] = key;
    this.#stampRow(builder, row);
    if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
      builder.walk(element as Record<string, unknown>, builder.root, row);
      builder.finish(element, row);
      builder.rows.push(row);
      if (link.children.length > 0) this.#children(link.children, element, row, key, rootRow);
    } else {
      if (element !== null && element !== undefined) builder.set(link.valueNode, element, row);
      builder.finish(undefined, row);
      builder.rows.push(row);
    }
  }

  /**
   * A record whose key was already seen in this batch replaces the earlier one: the earlier root row and its
   * child rows are dropped, so a merge inserts exactly the last version's children.
   */
  #dropEarlier(key: string): void {
    const index = this.#root.rows.length - 1;
    for (let k = 0; k < this.#starts.length; k++) this.#starts[k]!.push(this.#marks[k]!);
    const previous = this.#seen.get(key);
    this.#seen.set(key, index);
    if (previous === undefined) return;
    this.#root.rows[previous] = null;
    for (let k = 0; k < this.#starts.length; k++) {
      const rows = this.#builders[k + 1]!.rows;
      const end = this.#starts[k]![previous + 1]!;
      for (let j = this.#starts[k]![previous]!; j < end; j++) rows[j] = null;
    }
    this.#dropped = true;
  }

  /**
   * Without child rows to drop, a repeated key is only noted: the destination keeps the last row of each. Keys
   * that keep growing (an API sorted by its key, the usual case) are distinct without being remembered; the
   * first one that does not grow has every key of the batch so far remembered, and the batch goes on from there.
   */
  #noteKey(row: Row): void {
    if (this.#duplicates) return;
    const pk = this.#pkIndex;
    if (pk.length === 1 && this.#seen.size === 0) {
      const value = row[pk[0]!];
      const last = this.#lastKey;
      if (
        (typeof value === 'number' || typeof value === 'string') &&
        (last === undefined || (typeof last === typeof value && value > last))
      ) {
        this.#lastKey = value;
        return;
      }
      const keys = this.#root.packedKeys();
      for (let r = 0; r < (keys[0]?.length ?? 0); r++)
        this.#seen.set(keys.length === 1 ? String(keys[0]![r]) : JSON.stringify(keys.map((k) => k[r])), 0);
      const rows = this.#root.rows;
      for (let r = 0; r < rows.length - 1; r++) this.#seen.set(this.#rootKey(rows[r]!, r), 0);
    }
    const seen = this.#seen.size;
    this.#seen.set(this.#rootKey(row, 0), 0);
    if (this.#seen.size === seen) this.#duplicates = true;
  }

  #reject(rejection: Rejection, record: unknown, index: number): void {
    const { page } = this.#context;
    const root = this.#root.name;
    const where = rejection.table === root ? '' : ` of ${rejection.table}`;
    const message = `${rejection.message} (column "${rejection.column}"${where})`;
    if (this.#onCastError !== 'quarantine' || rejection.code !== 'CAST') {
      throw new RestlakeError(rejection.code, `${root}, page ${page}, record ${index}: ${message}`, {
        context: { table: rejection.table, page, record: index, column: rejection.column },
      });
    }
    // Undo the record's child rows: a quarantined record leaves no trace in the silver tables.
    for (let k = 1; k < this.#builders.length; k++) this.#builders[k]!.truncate(this.#marks[k - 1]!);
    this.#stats.quarantined++;
    this.#rejected.add(rejection, record, page);
  }

  /** Hands the buffered rows over, one RowSet per table (the rejected records last, when there are any). */
  take(): RowSet[] {
    const dropped = this.#dropped;
    const uniqueKeys = this.#pkIndex.length > 0 && !this.#duplicates;
    this.#dropped = false;
    this.#duplicates = false;
    this.#seen.clear();
    this.#lastKey = undefined;
    for (const starts of this.#starts) starts.length = 0;
    const sets: RowSet[] = this.#builders.map((builder) => ({
      table: builder.schema(),
      ...builder.take(dropped),
    }));
    const root = sets[0]!;
    // Keys compared as text are distinct in the database too only where the text is canonical: not for
    // decimals (1.5 and 1.50) or timestamps (one instant, many spellings).
    const typeOf = (name: string) => root.table.columns.find((c) => c.name === name)?.type ?? 'json';
    root.uniqueKeys = uniqueKeys && root.table.primaryKey.every((k) => CANONICAL_KEY_TYPES.has(typeOf(k)));
    const rejected = this.#rejected.take();
    if (rejected) sets.push(rejected);
    return sets;
  }
}
