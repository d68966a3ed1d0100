import type { ParamLocation } from '../../config/schema.js';
import type { TemplateValue } from '../../core/template.js';

/** The parts of a request a paginator may set: the page number, offset or cursor goes into one of them. */
export interface PageRequest {
  /** A path joined to the base URL, or an absolute URL (a next-page link). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface PageResponse {
  /** The URL the page came from, without the auth parameters: relative next links resolve against it. */
  url: string;
  body: unknown;
  /** Lower-case names. */
  headers: Record<string, string>;
  recordCount: number;
}

/** Serializable: saved with each committed batch so that a failed load resumes at the next page. */
export type PaginatorState = Record<string, string | number | null>;

/** Values of `{page}`, `{page_size}`, `{offset}` and `{cursor}` for the next request. */
export type PageVars = Partial<Record<'page' | 'page_size' | 'offset' | 'cursor', TemplateValue>>;

/** What a paginator needs to know about the resource it walks. */
export interface PaginatorContext {
  /** Where `param` goes when the paginator's `in` is not set (GraphQL variables, else the query). */
  defaultLocation: ParamLocation;
  /** Placeholders the resource's request uses: a value placed by a placeholder is not also set as a param. */
  templated: ReadonlySet<string>;
  /** The source's base URL: links under it are saved relative to it. */
  baseUrl: string;
}

/**
 * Walks one stream of pages. `vars` are the next request's template values, `apply` sets the next page's
 * parameters on the rendered request, and `advance` reads the response just received and says whether
 * another page follows.
 */
export interface Paginator {
  vars(): PageVars;
  apply(request: PageRequest): void;
  advance(response: PageResponse): boolean;
  state(): PaginatorState;
  /**
   * The state after a full page, without seeing it: only paginators whose next request does not depend on
   * the response (page numbers, offsets) have it, and their next pages are fetched ahead.
   */
  predict?(): PaginatorState;
}
