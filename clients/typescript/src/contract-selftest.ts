// The contract check must fail when an answer breaks the document, or the journey's "matches" proves
// nothing. Run before the journey (make client-check): answers the document allows pass, and each
// kind of lie the check exists for (undocumented status, wrong media type, a missing required member,
// a wrong type, an undeclared member, a value outside an enum) is reported.
//
// Usage: node dist/contract-selftest.js --document openapi.json
import { parseArgs } from "node:util";

import { Contract, ContractViolation } from "./contract.js";

const { values: args } = parseArgs({ options: { document: { type: "string", default: "openapi.json" } } });
const contract = new Contract(args.document);

const PROBLEM_JSON = "application/problem+json";
const JSON_TYPE = "application/json";
const problemBody = {
  type: "urn:ttm:problem:booking-overlap",
  title: "Booking overlaps",
  status: 409,
  detail: "the slot overlaps another booking",
  request_id: "5f0c2b1e9a7d4c3b",
  conflicts: [{ start_at: "2027-01-12T09:00:00+08:00", end_at: "2027-01-12T11:00:00+08:00" }],
};
const tokenBody = { access_token: "a.b.c", refresh_token: "r", token_type: "bearer", expires_in: 600 };

interface Case {
  name: string;
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: unknown;
  headers?: Record<string, string>; // added to Content-Type and X-Request-ID; "" removes one
  mismatch?: RegExp; // absent: the answer matches
}

const cases: Case[] = [
  {
    name: "a documented problem",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: PROBLEM_JSON,
    body: problemBody,
  },
  {
    name: "a documented success",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: tokenBody,
  },
  {
    name: "an undocumented status",
    method: "POST",
    path: "/api/v1/bookings",
    status: 418,
    contentType: PROBLEM_JSON,
    body: problemBody,
    mismatch: /status 418 is not documented/,
  },
  {
    name: "an error as application/json",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: JSON_TYPE,
    body: problemBody,
    mismatch: /Content-Type "application\/json" is not documented/,
  },
  {
    name: "a problem without its title",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: PROBLEM_JSON,
    body: { ...problemBody, title: undefined },
    mismatch: /must have required property 'title'/,
  },
  {
    name: "a problem with an undeclared extension member",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: PROBLEM_JSON,
    body: { ...problemBody, holder: "another SME" },
    mismatch: /undocumented member "holder"/,
  },
  {
    name: "a 422 error item with pydantic's undeclared `input`",
    method: "POST",
    path: "/api/v1/bookings",
    status: 422,
    contentType: PROBLEM_JSON,
    body: {
      type: "urn:ttm:problem:validation",
      title: "Invalid input",
      status: 422,
      errors: [{ loc: ["body", "start_at"], msg: "Input should have timezone info", input: "2027-01-12T09:00" }],
    },
    mismatch: /\/errors\/0: .*undocumented member "input"/,
  },
  {
    name: "a success with a member of the wrong type",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: { ...tokenBody, expires_in: "600" },
    mismatch: /\/expires_in: must be integer/,
  },
  {
    name: "a success without a required member",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: { ...tokenBody, refresh_token: undefined },
    mismatch: /must have required property 'refresh_token'/,
  },
  {
    name: "a success with an undeclared member",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: { ...tokenBody, scope: "all" },
    mismatch: /undocumented member "scope"/,
  },
  {
    name: "an answer without its X-Request-ID",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: tokenBody,
    headers: { "x-request-id": "" },
    mismatch: /required header x-request-id is missing/,
  },
  {
    name: "a header the document names elsewhere, sent where it does not",
    method: "POST",
    path: "/api/v1/auth/token",
    status: 200,
    contentType: JSON_TYPE,
    body: tokenBody,
    headers: { "idempotent-replayed": "true" },
    mismatch: /header idempotent-replayed is sent but not documented for 200/,
  },
  {
    name: "a Retry-After that is not a number of seconds",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: PROBLEM_JSON,
    body: problemBody,
    headers: { "retry-after": "soon" },
    mismatch: /header retry-after: "soon"/,
  },
  {
    name: "a lock timeout's Retry-After, as documented",
    method: "POST",
    path: "/api/v1/bookings",
    status: 409,
    contentType: PROBLEM_JSON,
    body: problemBody,
    headers: { "retry-after": "1" },
  },
  {
    name: "a value outside an enum (a nested one)",
    method: "GET",
    path: "/api/v1/catalogue/search",
    status: 200,
    contentType: JSON_TYPE,
    body: {
      items: [
        {
          id: "0192f3a0-5b7c-7d2e-8f10-3a4b5c6d7e8f",
          kind: "instrument",
          title: "t",
          title_en: null,
          abstract: "a",
          abstract_en: null,
          fields: ["new_energy"],
          price: { amount: 1500, currency: "XXX" },
          trl: null,
          owner_org_id: "0192f3a0-5b7c-7d2e-8f10-3a4b5c6d7e8f",
          owner_name: "o",
          centre_id: "0192f3a0-5b7c-7d2e-8f10-3a4b5c6d7e8f",
          region: "320500",
          published_at: "2026-11-30T09:21:08.832878Z",
          rank: null,
        },
      ],
      next_cursor: null,
    },
    mismatch: /\/items\/0\/price\/currency: must be equal to one of the allowed values/,
  },
];

let failures = 0;
for (const c of cases) {
  const body: unknown = JSON.parse(JSON.stringify(c.body)); // drops the undefined members
  let outcome: string;
  try {
    const headers = new Headers({ "content-type": c.contentType, "x-request-id": "5f0c2b1e9a7d4c3b", ...c.headers });
    for (const [name, value] of Object.entries(c.headers ?? {})) if (value === "") headers.delete(name);
    contract.check(c.method, c.path, c.status, headers, body);
    outcome = c.mismatch ? `FAILED: accepted, expected a mismatch ${c.mismatch}` : "ok: matches";
  } catch (err: unknown) {
    if (!(err instanceof ContractViolation)) throw err;
    const found = err.mismatches.join("\n");
    if (!c.mismatch) outcome = `FAILED: refused a valid answer:\n${found}`;
    else if (!c.mismatch.test(found)) outcome = `FAILED: refused, but not for ${c.mismatch}:\n${found}`;
    else outcome = `ok: refused (${err.mismatches[0]})`;
  }
  if (outcome.startsWith("FAILED")) failures += 1;
  console.log(`  ${c.name}: ${outcome}`);
}
if (failures > 0) {
  console.error(`contract self-test: ${failures} of ${cases.length} cases failed`);
  process.exit(1);
}
console.log(`contract self-test: ${cases.length} cases as expected`);
