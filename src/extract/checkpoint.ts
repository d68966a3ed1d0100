import { RestlakeError } from '../core/errors.js';
import type { StreamPosition } from './pages.js';

/**
 * Where a child resource's window stands: the parent page being worked on (the position that fetches it
 * again: a grandchild's parent is itself a child stream, so its position is one of these) and each of its
 * records' child streams begun so far, by the record's index in that page.
 */
export interface ChildPosition {
  parent: WindowPosition;
  children: Record<string, StreamPosition>;
  done: boolean;
}

export type WindowPosition = StreamPosition | ChildPosition;

/**
 * Where a whole load stands after a page; committed with each batch, read back to resume. Windows are
 * checkpointed one by one: a resumed load skips the windows that were complete and continues the others from
 * their last committed page.
 */
export interface LoadPosition {
  /** Windows begun and not yet folded into `done_before`, by window key (its start, ISO 8601). */
  windows: Record<string, WindowPosition>;
  /** Every window whose key sorts before this one is complete; keeps the checkpoint small over many windows. */
  done_before?: string;
  /** Pages fetched so far over the whole load: the next page's number in bronze. */
  pages: number;
  /** The load's data is complete and swapped in: a rerun (after a crash before SUCCESS) only records it. */
  finished?: boolean;
}

/** The checkpoint as stored: the load's position and, for incremental resources, the high-water mark so far. */
export interface LoadCheckpoint extends LoadPosition {
  mark: string | null;
}

export const START: LoadPosition = { windows: {}, pages: 0 };

/**
 * Reads a stored checkpoint. A checkpoint written before windows existed (`{ stream, mark }`, one stream per
 * load) becomes the position of the load's first window.
 */
export function parseCheckpoint(text: string | undefined, firstWindow: string): LoadCheckpoint | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RestlakeError('CONTROL', `the saved checkpoint is not valid JSON: ${text.slice(0, 100)}`);
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new RestlakeError('CONTROL', `the saved checkpoint is not an object: ${text.slice(0, 100)}`);
  }
  const saved = parsed as Partial<LoadCheckpoint> & { stream?: StreamPosition };
  const finished = saved.finished ? { finished: true } : {};
  if (saved.stream) {
    return {
      windows: { [firstWindow]: saved.stream },
      pages: saved.stream.pageIndex,
      mark: saved.mark ?? null,
      ...finished,
    };
  }
  return {
    windows: saved.windows ?? {},
    pages: saved.pages ?? 0,
    mark: saved.mark ?? null,
    ...(saved.done_before === undefined ? {} : { done_before: saved.done_before }),
    ...finished,
  };
}

export function isDone(position: WindowPosition | undefined): boolean {
  return position?.done ?? false;
}
