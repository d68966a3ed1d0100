import type { ColumnConfig } from '../config/schema.js';
import { fitIdentifier, toSnakeCase } from '../core/identifiers.js';
import { type Caster, CastFailure, casterFor, inferType, widen } from './cast.js';
import { MAX_DEPTH, nestedWithin, shortPath } from './depth.js';
import { type Getter, getterFor } from './key-path.js';
import { type PackedRows, packRows, unpackRows } from './packed-rows.js';
import type { CellValue, Column, ColumnType, TableSchema } from './types.js';

export type Row = CellValue[];

/**
 * Why a record cannot become rows; the normalizer decides what follows (fail the load, or quarantine it). A
 * record nested too deeply always fails the load: it cannot even be kept as JSON in the rejected table.
 */
export class Rejection extends Error {
  readonly table: string;
  readonly column: string;
  readonly value: unknown;
  readonly code: 'CAST' | 'NESTING_TOO_DEEP';

  constructor(
    table: string,
    column: string,
    value: unknown,
    reason: string,
    code: Rejection['code'] = 'CAST',
  ) {
    super(reason);
    this.table = table;
    this.column = column;
    this.value = value;
    this.code = code;
  }
}

function tooDeep(table: string, path: string): Rejection {
  return new Rejection(
    table,
    shortPath(path),
    null,
    `nested too deeply: more than ${MAX_DEPTH} levels of objects and arrays within one another`,
    'NESTING_TOO_DEEP',
  );
}

interface ColumnState {
  column: Column;
  cast: Caster;
  declared: boolean;
  from: Getter | undefined;
  required: boolean;
  fallback: CellValue | undefined;
  /** A copy of another table's column (a child's `_parent_id`): its type follows that column's. */
  link: { table: TableBuilder; name: string } | undefined;
}

/**
 * One step of the key paths seen in records: the column its scalar values go to and the keys below it. Walking
 * records along this tree names each distinct key path once, instead of building a path string per value.
 */
export interface KeyNode {
  /** The raw key path (`address.zipCode`), recorded in the schema history. */
  source: string;
  /** The column name, flattened and in snake_case (`address__zip_code`). */
  name: string;
  /** Column index, or -1 until a non-null value arrives. */
  index: number;
  depth: number;
  children: Map<string, KeyNode>;
  /** The path is unnested into a child table: skipped when flattening. */
  nested: boolean;
  /** An object here is flattened into `name__key` columns; otherwise it is stored as one JSON value. */
  flatten: boolean;
}

export interface TableBuilderOptions {
  name: string;
  primaryKey: readonly string[];
  rootKey?: readonly string[] | undefined;
  appendOnly?: boolean;
  /** Levels of nested objects flattened into columns; deeper ones stay JSON. */
  maxNesting: number;
  /** A declared column's cast failure sets NULL (counted) instead of rejecting the record. */
  nullOnCastError: boolean;
  onCastError: (table: string, column: string) => void;
  /** Record key path → column name, as earlier loads named them. */
  known?: ReadonlyMap<string, string> | undefined;
}

/**
 * The rows of one table as they are built, and what the table looks like so far: declared columns cast to
 * their type, undeclared ones inferred and widened as values disagree (re-casting the rows already buffered,
 * so a batch never mixes types).
 */
export class TableBuilder {
  readonly name: string;
  readonly primaryKey: readonly string[];
  readonly rootKey: readonly string[] | undefined;
  readonly appendOnly: boolean;
  readonly root: KeyNode;
  /**
   * Rows buffered for the next batch since the last `pack`; null marks a row dropped after the fact (an earlier
   * duplicate).
   */
  rows: (Row | null)[] = [];
  /** The batch's rows before those, packed page by page. */
  #packed: PackedRows[] = [];
  #packedRows = 0;
  readonly #columns: ColumnState[] = [];
  readonly #byName = new Map<string, number>();
  readonly #options: TableBuilderOptions;
  /** Declared columns read from a path, with a default, or required: visited once per row. */
  readonly #finishers: number[] = [];
  #knownNames: Set<string> | undefined;

  constructor(options: TableBuilderOptions) {
    this.#options = options;
    this.name = options.name;
    this.primaryKey = options.primaryKey;
    this.rootKey = options.rootKey;
    this.appendOnly = options.appendOnly ?? false;
    this.root = this.#node('', '', 0);
  }

  /** Adds a column restlake fills itself (keys, positions, page number); returns its index. */
  reserve(
    name: string,
    type: ColumnType,
    extra: { link?: ColumnState['link']; metadata?: boolean } = {},
  ): number {
    const column: Column = extra.metadata ? { name, type, metadata: true } : { name, type };
    return this.#push({
      column,
      cast: casterFor(type),
      declared: false,
      from: undefined,
      required: false,
      fallback: undefined,
      link: extra.link,
    });
  }

  declare(name: string, spec: ColumnConfig): void {
    const type = (typeof spec === 'string' ? spec : spec.type) as ColumnType;
    const options = typeof spec === 'string' ? undefined : spec;
    const cast = casterFor(type);
    const index = this.#push({
      column: { name, type, source: options?.from ?? name },
      cast,
      declared: true,
      from: options?.from ? getterFor(options.from) : undefined,
      required: options?.required ?? false,
      fallback: options?.default === undefined ? undefined : cast(options.default),
      link: undefined,
    });
    if (options?.from || options?.required || options?.default !== undefined) this.#finishers.push(index);
  }

  #push(state: ColumnState): number {
    const index = this.#columns.length;
    this.#columns.push(state);
    this.#byName.set(state.column.name, index);
    return index;
  }

  indexOf(name: string): number | undefined {
    return this.#byName.get(name);
  }

  typeOf(name: string): ColumnType | undefined {
    const index = this.#byName.get(name);
    return index === undefined ? undefined : this.#columns[index]!.column.type;
  }

  /** The node of `key` below `parent`, created on first sight (naming the column once per distinct path). */
  child(parent: KeyNode, key: string): KeyNode {
    let node = parent.children.get(key);
    if (node === undefined) {
      const source = parent.source === '' ? key : `${parent.source}.${key}`;
      const name = parent.name === '' ? toSnakeCase(key) : `${parent.name}__${toSnakeCase(key)}`;
      node = this.#node(source, name, parent.depth + 1);
      parent.children.set(key, node);
    }
    return node;
  }

  #node(source: string, name: string, depth: number): KeyNode {
    const declared = this.#declaredByName(name);
    return {
      source,
      name,
      index: declared ?? -1,
      depth,
      children: new Map(),
      nested: false,
      // A declared column of this name (`address: json`) takes the object whole.
      flatten: declared === undefined && depth <= this.#options.maxNesting,
    };
  }

  /** A declared column that takes its value from the key of the same name (not from a `from:` path). */
  #declaredByName(name: string): number | undefined {
    const index = this.#byName.get(name);
    if (index === undefined) return undefined;
    const state = this.#columns[index]!;
    return state.declared && state.from === undefined ? index : undefined;
  }

  /** Flattens `object` into `row`: nested objects into `parent__child` columns, everything else cast. */
  walk(object: Record<string, unknown>, node: KeyNode, row: Row): void {
    for (const key in object) {
      const value = object[key];
      if (value === undefined || value === null) continue;
      const child = this.child(node, key);
      if (child.nested) continue;
      if (child.flatten && typeof value === 'object' && !Array.isArray(value)) {
        if (child.depth >= MAX_DEPTH) throw tooDeep(this.name, child.source);
        this.walk(value as Record<string, unknown>, child, row);
      } else {
        this.set(child, value, row);
      }
    }
  }

  set(node: KeyNode, value: unknown, row: Row): void {
    // Checked before anything stringifies the value: JSON.stringify recurses, and would overflow the stack.
    if (typeof value === 'object' && !nestedWithin(value, MAX_DEPTH - node.depth))
      throw tooDeep(this.name, node.source);
    let index = node.index;
    if (index < 0) {
      const type = inferType(value);
      if (type === undefined) return;
      index = this.#addColumn(node, type);
    }
    const state = this.#columns[index]!;
    if (state.declared) {
      row[index] = this.#castDeclared(state, value);
      return;
    }
    const seen = inferType(value)!;
    if (seen !== state.column.type) {
      const wider = widen(state.column.type, seen);
      if (wider !== state.column.type) this.#retype(index, wider);
    }
    row[index] = state.cast(value);
  }

  #castDeclared(state: ColumnState, value: unknown): CellValue {
    try {
      return state.cast(value);
    } catch (error) {
      if (!(error instanceof CastFailure)) throw error;
      this.#options.onCastError(this.name, state.column.name);
      if (this.#options.nullOnCastError) return null;
      throw new Rejection(this.name, state.column.name, value, error.message);
    }
  }

  /** Declared columns read from a path, defaults, required values: the row's last step. */
  finish(record: unknown, row: Row): void {
    for (let i = 0; i < this.#finishers.length; i++) {
      const index = this.#finishers[i]!;
      const state = this.#columns[index]!;
      if (state.from) {
        const value = state.from(record);
        if (typeof value === 'object' && !nestedWithin(value, MAX_DEPTH))
          throw tooDeep(this.name, state.column.source ?? state.column.name);
        if (value !== undefined && value !== null) row[index] = this.#castDeclared(state, value);
      }
      const current = row[index];
      if (current === undefined || current === null) {
        if (state.fallback !== undefined) row[index] = state.fallback;
        else if (state.required) {
          throw new Rejection(
            this.name,
            state.column.name,
            null,
            `required column "${state.column.name}" has no value`,
          );
        }
      }
    }
  }

  #addColumn(node: KeyNode, type: ColumnType): number {
    // Two raw keys can normalize to one name (`userId` and `user_id`): the later one gets a suffix. A key
    // that an earlier load already named keeps its name, and the names earlier loads gave are not reused.
    const known = this.#options.known?.get(node.source);
    // A path named longer than a destination keeps is shortened; the known name of an earlier load is kept.
    let unique = known !== undefined && !this.#byName.has(known) ? known : fitIdentifier(node.name);
    for (let n = 2; unique !== known && this.#taken(unique); n++) unique = fitIdentifier(`${node.name}_${n}`);
    node.index = this.#push({
      column: { name: unique, type, source: node.source },
      cast: casterFor(type),
      declared: false,
      from: undefined,
      required: false,
      fallback: undefined,
      link: undefined,
    });
    return node.index;
  }

  #taken(name: string): boolean {
    if (this.#byName.has(name)) return true;
    if (!this.#options.known) return false;
    if (this.#knownNames === undefined) this.#knownNames = new Set(this.#options.known.values());
    return this.#knownNames.has(name);
  }

  /** Rows buffered for the next batch, packed or not. */
  get count(): number {
    return this.#packedRows + this.rows.length;
  }

  /** Drops the rows buffered after the first `count` (those of a record being undone, never packed yet). */
  truncate(count: number): void {
    this.rows.length = count - this.#packedRows;
  }

  /**
   * Packs the rows buffered since the last call (see packed-rows.ts), with their primary-key values. Not for
   * rows a later duplicate may still drop.
   */
  pack(): void {
    if (this.rows.length === 0) return;
    const keys = this.primaryKey.map((k) => this.indexOf(k) ?? -1);
    this.#packed.push(packRows(this.rows as Row[], this.#columns.length, keys));
    this.#packedRows += this.rows.length;
    this.rows = [];
  }

  /** The primary-key values of the packed rows, one array per key column, in row order. */
  packedKeys(): CellValue[][] {
    return this.primaryKey.map((_, k) => this.#packed.flatMap((p) => p.keys[k] as CellValue[]));
  }

  #retype(index: number, type: ColumnType): void {
    // Packed rows become rows again to be cast: rare, a column's type changes mostly while a load's first pages
    // teach the schema, and at most a few times per column (types only widen).
    if (this.#packed.length > 0) {
      this.rows = [...this.#packed.flatMap(unpackRows), ...this.rows];
      this.#packed = [];
      this.#packedRows = 0;
    }
    const state = this.#columns[index]!;
    state.column = { ...state.column, type };
    state.cast = casterFor(type);
    for (const row of this.rows) {
      const value = row?.[index];
      if (value !== undefined && value !== null) row![index] = state.cast(value);
    }
  }

  /** The table as known so far (columns that only ever held null are not created yet). */
  schema(): TableSchema {
    const columns = this.#columns.map(({ column, link }) =>
      link ? { ...column, type: link.table.typeOf(link.name) ?? column.type } : column,
    );
    return {
      name: this.name,
      columns,
      primaryKey: this.primaryKey,
      ...(this.rootKey ? { rootKey: this.rootKey } : {}),
      ...(this.appendOnly ? { appendOnly: true } : {}),
    };
  }

  /** Hands the buffered rows over (without the dropped ones), the packed ones first, and starts an empty buffer. */
  take(dropped: boolean): { packed: PackedRows[]; rows: Row[] } {
    const { rows } = this;
    const packed = this.#packed;
    this.rows = [];
    this.#packed = [];
    this.#packedRows = 0;
    return { packed, rows: (dropped ? rows.filter((r) => r !== null) : rows) as Row[] };
  }
}
