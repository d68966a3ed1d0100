import { compileJsonPath } from '../core/json-path.js';
import { prefetch } from '../core/prefetch.js';
import type { TemplateVars } from '../core/template.js';
import type { HttpClient } from '../http/client.js';
import type { ChildPosition, WindowPosition } from './checkpoint.js';
import { mergeSources } from './merge.js';
import { type FetchSpec, fetchPages, type StreamPage, type StreamPosition } from './pages.js';
import type { RecordSelector } from './records.js';

/** A page of one window and the window's position after it. */
export interface WindowItem {
  page: StreamPage;
  position: WindowPosition;
}

export interface ChildOptions {
  resume: ChildPosition | undefined;
  /** The window's values; each child request adds its parent record. */
  vars: TemplateVars;
  /** Child streams of one parent page fetched at once. */
  concurrency: number;
  signal: AbortSignal;
  now: () => Date;
  /** Resources' parsers by name: the child's and its parents' find their records in their bodies. */
  parsers?: ReadonlyMap<string, RecordSelector> | undefined;
}

const FRESH: StreamPosition = { pageIndex: 0, paginator: {}, done: false };

/** A resource as a parent or child: its requests, and the fields its child rows copy from their parent. */
export type ChildSpec = FetchSpec & { parent_fields: readonly string[] };

/**
 * The pages of a child resource in one window: the parent's pages are walked (the next one is fetched while
 * the children of this one run), and each parent record gets its own child stream, `concurrency` at a time.
 * Parent fields named in `parent_fields` are copied into every child record as `_parent_<field>`. A parent that
 * is itself a child (of `ancestors`, the top-level resource first) is walked the same way, one level up.
 *
 * The position after each child page names the parent page in progress and every child stream of it begun
 * so far; a resumed load fetches that parent page again and skips its finished children. This assumes the
 * parent's page holds the same records in the same order when fetched again.
 */
export async function* childPages(
  child: ChildSpec,
  ancestors: readonly [ChildSpec, ...ChildSpec[]],
  client: HttpClient,
  options: ChildOptions,
): AsyncGenerator<WindowItem> {
  if (options.resume?.done) return;
  const carry = child.parent_fields.map((field) => ({
    path: compileJsonPath(field),
    column: `_parent_${field.replaceAll('.', '__')}`,
  }));
  let current: WindowPosition = options.resume?.parent ?? FRESH;
  let resumed = options.resume?.children ?? {};
  for await (const parentItem of prefetch(parentItems(ancestors, client, options), 1)) {
    const children: Record<string, StreamPosition> = resumed;
    resumed = {};
    const sources = parentItem.page.records.flatMap((record, i) => {
      const key = String(i);
      if (children[key]?.done) return [];
      const columns = Object.fromEntries(carry.map((c) => [c.column, c.path.get(record) ?? null]));
      return [
        (signal: AbortSignal) =>
          tagged(
            key,
            columns,
            fetchPages(child, client, {
              resume: children[key],
              vars: { ...options.vars, parent: record },
              signal,
              now: options.now,
              select: options.parsers?.get(child.name),
            }),
          ),
      ];
    });
    for await (const { key, page } of mergeSources(sources, options.concurrency, options.signal)) {
      children[key] = page.position;
      yield { page, position: { parent: current, children: { ...children }, done: false } };
    }
    current = parentItem.position;
  }
}

/**
 * The pages of the parent, each with the position that resumes its stream right after it: a top-level
 * parent's own pages, or, for a grandchild, its parent's child pages (walked the same way, one level up).
 */
function parentItems(
  ancestors: readonly [ChildSpec, ...ChildSpec[]],
  client: HttpClient,
  options: ChildOptions,
): AsyncIterable<WindowItem> {
  const parent = ancestors[ancestors.length - 1]!;
  const saved = options.resume?.parent;
  if (ancestors.length === 1) {
    return streamItems(
      fetchPages(parent, client, {
        resume: saved && !('parent' in saved) ? saved : undefined,
        vars: options.vars,
        signal: options.signal,
        now: options.now,
        select: options.parsers?.get(parent.name),
      }),
    );
  }
  const above = ancestors.slice(0, -1) as [ChildSpec, ...ChildSpec[]];
  return childPages(parent, above, client, {
    ...options,
    resume: saved && 'parent' in saved ? saved : undefined,
  });
}

/** A stream's pages, each with its own position. */
export async function* streamItems(pages: AsyncIterable<StreamPage>): AsyncGenerator<WindowItem> {
  for await (const page of pages) yield { page, position: page.position };
}

async function* tagged(
  key: string,
  columns: Record<string, unknown>,
  pages: AsyncIterable<StreamPage>,
): AsyncGenerator<{ key: string; page: StreamPage }> {
  const withParent = Object.keys(columns).length > 0;
  for await (const page of pages) {
    if (withParent) {
      page.records = withParentFields(page.records, columns);
      page.carried = columns;
    }
    yield { key, page };
  }
}

/** Records with a child resource's parent fields (`_parent_<field>`) in front of their own. */
export function withParentFields(records: unknown[], columns: Record<string, unknown>): unknown[] {
  return records.map((record) =>
    record && typeof record === 'object' && !Array.isArray(record)
      ? { ...columns, ...record }
      : { ...columns, value: record },
  );
}
