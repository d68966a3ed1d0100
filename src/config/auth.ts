import { z } from 'zod';
import { nonEmpty } from './primitives.js';

/** `source.auth`: how requests authenticate. One strict object per `type`. */

const authNone = z.strictObject({ type: z.literal('none') });
const authBearer = z.strictObject({ type: z.literal('bearer'), token: nonEmpty });
const authApiKey = z.strictObject({
  type: z.literal('api_key'),
  key: nonEmpty,
  /** Header or query parameter name. */
  name: nonEmpty.default('X-API-Key'),
  in: z.enum(['header', 'query']).default('header'),
});
const authBasic = z.strictObject({ type: z.literal('basic'), username: nonEmpty, password: z.string() });

export const authSchema = z.discriminatedUnion('type', [authNone, authBearer, authApiKey, authBasic]);

export type AuthConfig = z.output<typeof authSchema>;
