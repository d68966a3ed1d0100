import type { GraphQLSchema } from 'graphql';
import { customer } from './datasets.js';
import type { TicketStore } from './tickets.js';

/** The sample API's GraphQL endpoint: customers as a Relay connection, tickets with offset/limit and a time filter. */
const SDL = `
  type Customer { id: Int!, name: String!, email: String!, created_at: String!, balance: String!, active: Boolean! }
  type PageInfo { hasNextPage: Boolean!, endCursor: String }
  type CustomerEdge { cursor: String!, node: Customer! }
  type CustomerConnection { edges: [CustomerEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
  type Ticket { id: Int!, subject: String!, status: String!, priority: Int!, customer_id: Int!, created_at: String!, updated_at: String! }
  type Query {
    customers(first: Int = 50, after: String): CustomerConnection!
    tickets(updatedSince: String, updatedBefore: String, offset: Int = 0, limit: Int = 50): [Ticket!]!
  }
`;

export interface GraphqlData {
  customers: number;
  tickets: TicketStore;
}

const encodeCursor = (i: number) => Buffer.from(`customer:${i}`).toString('base64url');
const decodeCursor = (cursor: string) => {
  const i = Number(
    Buffer.from(cursor, 'base64url')
      .toString()
      .replace(/^customer:/, ''),
  );
  if (!Number.isInteger(i) || i < 0) throw new Error(`invalid cursor "${cursor}"`);
  return i;
};

let schema: Promise<GraphQLSchema> | undefined;

/** Runs one GraphQL request; graphql-js is loaded on the first one, so `import 'restlake'` stays light. */
export async function executeGraphql(body: unknown, data: GraphqlData): Promise<unknown> {
  const { graphql, buildSchema } = await import('graphql');
  schema ??= Promise.resolve(buildSchema(SDL));
  const { query, variables } = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
  if (typeof query !== 'string') return { errors: [{ message: 'the body must be { query, variables }' }] };
  const rootValue = {
    customers: ({ first, after }: { first: number; after?: string | null }) => {
      const start = after ? decodeCursor(after) + 1 : 0;
      const end = Math.min(start + Math.min(first, 1000), data.customers);
      const edges = [];
      for (let i = start; i < end; i++) edges.push({ cursor: encodeCursor(i), node: customer(i) });
      return {
        edges,
        totalCount: data.customers,
        pageInfo: { hasNextPage: end < data.customers, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
    tickets: (args: { updatedSince?: string; updatedBefore?: string; offset: number; limit: number }) => {
      const since = args.updatedSince ? new Date(args.updatedSince) : undefined;
      const before = args.updatedBefore ? new Date(args.updatedBefore) : undefined;
      return data.tickets
        .updatedBetween(since, before)
        .slice(args.offset, args.offset + Math.min(args.limit, 1000));
    },
  };
  return graphql({ schema: await schema, source: query, rootValue, variableValues: variables ?? null });
}
