import { type Command, InvalidArgumentError } from 'commander';
import { SAMPLE_TOKEN, startSampleApi } from '../../sample-api/server.js';
import { parsePositive } from './run.js';

export function registerSampleApi(program: Command): void {
  program
    .command('sample-api')
    .description('serve the bundled sample API on 127.0.0.1 until interrupted')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', parsePort, 8080)
    .option('--token <token>', 'bearer token the API requires (default: the sample token)')
    .option('--no-auth', 'serve without authentication')
    .option('--customers <n>', 'number of customers', parsePositive)
    .option('--orders <n>', 'number of orders', parsePositive)
    .option('--events <n>', 'number of events', parsePositive)
    .option('--tickets <n>', 'number of tickets', parsePositive)
    .option('--products <n>', 'number of products', parsePositive)
    .addHelpText(
      'after',
      `
Endpoints: GET /customers?page=&per_page=   (top-level array, page numbers)
           GET /orders?offset=&limit=       ({ results, total }, offset/limit)
           GET /events?cursor=&limit=       ({ data: { items }, meta: { next_cursor } }, cursor)
           GET /tickets?updated_since=&updated_before=&page=&page_size=   ({ tickets, has_more }, time filter)
           POST /tickets/search             ({ interval, paging: { pageSize, pageNumber } } in the body)
           GET /products?page=&per_page=    (Link header rel="next", X-Total-Count)
           GET /customers/{id}/payments     ({ payments, next }, relative next URL)
           GET /audit-log?since=&limit=     (cursor in X-Next-Cursor, sent alone on follow-ups)
           POST /graphql                    (customers: Relay connection; tickets: offset/limit)
           GET /health

Example:
  restlake sample-api --port 8080 &
  curl -H "Authorization: Bearer sample-api-token-0123456789" "http://127.0.0.1:8080/customers?page=1"`,
    )
    .action(
      async (options: {
        port: number;
        token?: string;
        auth: boolean;
        customers?: number;
        orders?: number;
        events?: number;
        tickets?: number;
        products?: number;
      }) => {
        const sizes = {
          ...(options.customers ? { customers: options.customers } : {}),
          ...(options.orders ? { orders: options.orders } : {}),
          ...(options.events ? { events: options.events } : {}),
          ...(options.tickets ? { tickets: options.tickets } : {}),
          ...(options.products ? { products: options.products } : {}),
        };
        const api = await startSampleApi({
          port: options.port,
          token: options.auth ? (options.token ?? SAMPLE_TOKEN) : null,
          sizes,
        });
        process.stdout.write(
          `sample API listening on ${api.url}${api.token ? ` (bearer token: ${api.token})` : ' (no auth)'}\n` +
            `  ${api.sizes.customers} customers, ${api.sizes.orders} orders, ${api.sizes.events} events, ${api.sizes.tickets} tickets, ${api.sizes.products} products; Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await api.close();
      },
    );
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${text}"`);
  return port;
}
