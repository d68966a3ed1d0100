/** The parts of a request a paginator may set: the page number, offset or cursor goes into one of them. */
export interface PageRequest {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface PageResponse {
  body: unknown;
  headers: Record<string, string>;
  recordCount: number;
}

/** Serializable: saved with each committed batch so that a failed load resumes at the next page. */
export type PaginatorState = Record<string, string | number | null>;

/**
 * Walks one stream of pages. `apply` sets the next page's parameters, `advance` reads the response just
 * received and says whether another page follows.
 */
export interface Paginator {
  apply(request: PageRequest): void;
  advance(response: PageResponse): boolean;
  state(): PaginatorState;
}
