import { destinationConformance } from '../support/destination-suite.js';

destinationConformance('duckdb', async () => ({
  destination: (n) => ({ type: 'duckdb', path: `./conformance-${n}.duckdb` }),
  schema: () => 'main',
}));
