import type { ResourceConfig } from '../config/schema.js';
import type { HttpClient } from '../http/client.js';
import { isDone, type LoadPosition, START, type WindowPosition } from './checkpoint.js';
import { type ChildSpec, childPages, streamItems, type WindowItem } from './children.js';
import { mergeSources } from './merge.js';
import { fetchPages, type StreamPage, type StreamPosition } from './pages.js';
import type { RecordSelector } from './records.js';
import { planWindows, type TimeWindow, WHOLE_LOAD, windowValues } from './windows.js';

/** A page as the pipeline sees it: numbered over the whole load, with the load's position after it. */
export interface Page extends Omit<StreamPage, 'position'> {
  /** The window the page belongs to. */
  window: string;
  /** Where the whole load stands once this page (and every page before it) is committed. */
  position: LoadPosition;
}

/**
 * The windows of one load. The range is the control row's `[LoadStartTime, LoadEndTime)`, capped at
 * `incremental.end`; `window.every` splits it, and without `window` it is one window. A load without a range
 * (a full refresh) is one window without bounds.
 */
export function planLoadWindows(
  resource: Pick<ResourceConfig, 'window' | 'incremental'>,
  range: { start: Date | null; end: Date | null },
): TimeWindow[] {
  if (!range.start || !range.end) return [{ key: WHOLE_LOAD, start: null, end: null }];
  const cap = resource.incremental?.end ? new Date(resource.incremental.end) : undefined;
  const end = cap && cap < range.end ? cap : range.end;
  if (resource.window) return planWindows(range.start, end, resource.window.every);
  return range.start < end ? [{ key: range.start.toISOString(), start: range.start, end }] : [];
}

export interface ExtractOptions {
  windows: readonly TimeWindow[];
  resume?: LoadPosition | undefined;
  /** A child resource's parent, its parent's parent and so on, the top-level resource first. */
  ancestors?: readonly ChildSpec[] | undefined;
  /** Requests the source allows at once: caps concurrent windows (with `window.concurrency`) and child streams. */
  maxConcurrency: number;
  /** Send each request only when its page is asked for, none ahead: for a probe that reads one page. */
  noLookahead?: boolean;
  signal?: AbortSignal | undefined;
  now?: () => Date;
  /**
   * Resources' parsers by name: each finds the records in its resource's bodies instead of the `records` path,
   * the resource's own and, when a child walks them, its parents'.
   */
  parsers?: ReadonlyMap<string, RecordSelector> | undefined;
}

/**
 * Every page of one load: each window's stream (a child resource's: one stream per parent record), up to
 * `window.concurrency` windows at once, merged into one stream. Pages of one window keep their order, so the
 * position carried by each page (every window's latest page so far) only moves forward, and committing it
 * with the batch that ends at that page resumes each window exactly after its last committed page.
 */
export async function* extractPages(
  resource: ResourceConfig,
  client: HttpClient,
  options: ExtractOptions,
): AsyncGenerator<Page> {
  const resume = options.resume ?? START;
  if (resume.finished) return;
  const state = new LoadProgress(options.windows, resume);
  const now = options.now ?? (() => new Date());
  const concurrency = Math.min(resource.window?.concurrency ?? 1, options.maxConcurrency);
  const windowStream = (window: TimeWindow, signal: AbortSignal): AsyncIterable<WindowItem> => {
    const vars = { values: windowValues(window, resource.window) };
    const saved = state.saved(window.key);
    const ancestors = options.ancestors ?? [];
    if (ancestors.length > 0) {
      return childPages(resource, ancestors as [ChildSpec, ...ChildSpec[]], client, {
        resume: saved && 'parent' in saved ? saved : undefined,
        vars,
        concurrency: options.maxConcurrency,
        signal,
        now,
        parsers: options.parsers,
      });
    }
    return streamItems(
      fetchPages(resource, client, {
        resume: saved && !('parent' in saved) ? saved : undefined,
        vars,
        // Windows fetched at once share the source's concurrency: each looks ahead only with its share, or
        // the requests it guesses past a window's end would crowd out the other windows' real ones.
        lookahead: options.noLookahead ? 0 : Math.max(1, Math.floor(options.maxConcurrency / concurrency)),
        signal,
        now,
        select: options.parsers?.get(resource.name),
      }),
    );
  };
  const sources = state.todo().map(
    (window) =>
      async function* (signal: AbortSignal) {
        for await (const item of windowStream(window, signal)) yield { key: window.key, item };
        yield { key: window.key, item: undefined };
      },
  );
  for await (const { key, item } of mergeSources(sources, concurrency, options.signal)) {
    if (!item) {
      state.finish(key);
      continue;
    }
    const index = state.advance(key, item.position);
    yield { ...item.page, index, window: key, position: state.snapshot() };
  }
}

const FINISHED: StreamPosition = { pageIndex: 0, paginator: {}, done: true };

/** The load's position as pages arrive; finished windows at the front are folded into `done_before`. */
class LoadProgress {
  readonly #plan: readonly TimeWindow[];
  readonly #windows: Record<string, WindowPosition>;
  #doneBefore: string | undefined;
  #pages: number;
  /** Index in `#plan` of the first window not known to be finished. */
  #low = 0;

  constructor(plan: readonly TimeWindow[], resume: LoadPosition) {
    this.#plan = plan;
    const known = new Set(plan.map((w) => w.key));
    // A checkpoint may name windows this plan lacks (the pipeline file changed between attempts): drop them.
    this.#windows = Object.fromEntries(Object.entries(resume.windows).filter(([key]) => known.has(key)));
    this.#doneBefore = resume.done_before;
    this.#pages = resume.pages;
    this.#compact();
  }

  saved(key: string): WindowPosition | undefined {
    return this.#windows[key];
  }

  /** The windows still to fetch (or to finish), in order. */
  todo(): TimeWindow[] {
    return this.#plan.slice(this.#low).filter((w) => !isDone(this.#windows[w.key]));
  }

  advance(key: string, position: WindowPosition): number {
    this.#windows[key] = position;
    return this.#pages++;
  }

  finish(key: string): void {
    const last = this.#windows[key];
    this.#windows[key] = last ? { ...last, done: true } : FINISHED;
    this.#compact();
  }

  snapshot(): LoadPosition {
    return {
      windows: { ...this.#windows },
      pages: this.#pages,
      ...(this.#doneBefore === undefined ? {} : { done_before: this.#doneBefore }),
    };
  }

  #compact(): void {
    while (this.#low < this.#plan.length) {
      const key = this.#plan[this.#low]!.key;
      const before = this.#doneBefore !== undefined && key < this.#doneBefore;
      if (!before && !isDone(this.#windows[key])) break;
      delete this.#windows[key];
      this.#low++;
    }
    // Once every window is finished no page follows, so no snapshot needs to say so.
    const next = this.#plan[this.#low];
    if (next && this.#low > 0) this.#doneBefore = next.key;
  }
}
