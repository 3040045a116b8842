// Herald's TypeScript client: every path of the API with its parameters,
// bodies and answers typed from the OpenAPI document the gateway serves at
// /v1/openapi.json (npm run generate writes src/schema.d.ts from it), over
// openapi-fetch. Each call resolves to { data } on success or { error }, the
// RFC 9457 problem that says why Herald refused and which field it means.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Problem = components["schemas"]["Problem"];

export const userAgent = "herald-ts-client/1";

/** A client of the gateway at baseUrl (http://127.0.0.1:8080) that sends key with every request. */
export function createHeraldClient(baseUrl: string, key: string): Client<paths> {
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers: { Authorization: `Bearer ${key}`, "User-Agent": userAgent },
  });
}
