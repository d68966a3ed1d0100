import { destinationConformance } from '../support/destination-suite.js';
import { describePg, freshDatabase } from '../support/pg.js';

describePg('postgres', () => {
  destinationConformance('postgres', async () => {
    const db = await freshDatabase();
    return {
      // One database; a schema per pipeline keeps the cases apart.
      destination: (n) => ({ type: 'postgres', url: db.url, schema: `s${n}` }),
      schema: (n) => `s${n}`,
      cleanup: () => db.drop(),
    };
  });
});
