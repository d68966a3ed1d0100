/**
 * Resources of the bundled sample API as a pipeline file declares them, shared by the tests that load it.
 * `tickets` is filtered on `updated_at` by window and paged by page number until `has_more` is false.
 */
export function ticketsByWindow(options: {
  pageSize: number;
  every: string;
  incremental: Record<string, unknown>;
  write: 'merge' | 'append';
}) {
  return {
    name: 'tickets',
    endpoint: {
      path: '/tickets',
      params: {
        updated_since: '{window.start}',
        updated_before: '{window.end}',
        page_size: options.pageSize,
      },
    },
    records: 'tickets',
    paginator: { type: 'page_number', has_more_path: 'has_more' },
    window: { every: options.every },
    incremental: { cursor_field: 'updated_at', start: '2024-01-01T00:00:00Z', ...options.incremental },
    ...(options.write === 'merge' ? { primary_key: ['id'] } : {}),
    write: options.write,
  };
}
