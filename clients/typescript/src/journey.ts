// A new client developer's journey through the API, with a client generated from the OpenAPI document
// (openapi-typescript types, openapi-fetch calls): register an SME -> sign in -> search the catalogue
// -> read an instrument and its availability -> book a free slot -> list my bookings -> cancel -> read
// it back cancelled. On the way it meets the errors a real client meets (a wrong password, no token,
// an invalid body, a booking in the past, an overlap, a reused idempotency key, cancelling twice, an
// unknown id) and asserts each one's status and problem type. Every answer, success or error, is
// checked against the document by the contract middleware (src/contract.ts): an undocumented status,
// media type or member, or a body that does not validate, fails the run.
//
// Usage: node dist/journey.js --base-url http://127.0.0.1:8000 --document openapi.json
import { randomInt, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import createClient from "openapi-fetch";
import type { Client, Middleware } from "openapi-fetch";

import { Contract, ContractViolation } from "./contract.js";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type BookingRead = Schemas["BookingRead"];
type RegisterRequest = Schemas["RegisterRequest"];
type Quote = Schemas["Quote"];

// createBooking answers 201 BookingRead, or 200 Quote with dry_run=true: one operation, two shapes.
function isQuote(answer: Quote | BookingRead): answer is Quote {
  return "occurrences" in answer && !("id" in answer);
}
function asQuote(step: string, answer: Quote | BookingRead): Quote {
  if (!isQuote(answer)) fail(step, "expected a Quote", answer);
  return answer;
}
function asBooking(step: string, answer: Quote | BookingRead): BookingRead {
  if (isQuote(answer)) fail(step, "expected a BookingRead", answer);
  return answer;
}

const PROBLEM = "urn:ttm:problem:";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string" },
    document: { type: "string", default: "openapi.json" },
  },
});
const baseUrl = args["base-url"];
if (!baseUrl) {
  console.error("usage: journey --base-url http://127.0.0.1:PORT [--document openapi.json]");
  process.exit(2);
}
const contract = new Contract(args.document);

class JourneyFailure extends Error {
  override name = "JourneyFailure";
}

function fail(step: string, message: string, body?: unknown): never {
  throw new JourneyFailure(`${step}: ${message}${body === undefined ? "" : `\n  body: ${JSON.stringify(body)}`}`);
}

function assert(condition: unknown, step: string, message: string, body?: unknown): asserts condition {
  if (!condition) fail(step, message, body);
}

// --- the generated client, with every answer held to the document --------------------------------

const checkAgainstDocument: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const text = await response.clone().text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ContractViolation(
        `${request.method} ${schemaPath} answered ${response.status}`,
        ["body is not JSON"],
        text,
      );
    }
    const answer = contract.check(request.method, schemaPath, response.status, response.headers, body);
    const problem = answer.problemType ? ` ${answer.problemType.replace(PROBLEM, "")}` : "";
    console.log(`    ${answer.method} ${answer.path} -> ${answer.status}${problem} (${answer.schema}: matches)`);
    return undefined;
  },
};

type Api = Client<paths, `${string}/${string}`>;

function client(token?: string): Api {
  const api = createClient<paths>({
    baseUrl,
    // A server that stops answering fails the step, not the whole run's time budget.
    fetch: (request: Request) => fetch(request, { signal: AbortSignal.timeout(30_000) }),
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
  api.use(checkAgainstDocument);
  return api;
}

// An answer from openapi-fetch: `data` on success, `error` (typed from the document: Problem) otherwise.
interface Answer<T> {
  data?: T;
  error?: Problem;
  response: Response;
}

function ok<T>(step: string, answer: Answer<T>, status: number): T {
  const { data, error, response } = answer;
  if (response.status !== status || data === undefined) {
    fail(step, `expected ${status}, got ${response.status}`, error ?? data);
  }
  return data;
}

function problem(step: string, answer: Answer<unknown>, status: number, type: string): Problem {
  const { data, error, response } = answer;
  if (response.status !== status || error === undefined) {
    fail(step, `expected ${status} ${type}, got ${response.status}`, error ?? data);
  }
  assert(error.type === PROBLEM + type, step, `expected problem type ${PROBLEM + type}, got ${error.type}`, error);
  assert(error.status === status, step, `problem status ${error.status} differs from HTTP ${status}`, error);
  assert(
    response.headers.get("x-request-id") !== null && error.request_id === response.headers.get("x-request-id"),
    step,
    "request_id must equal the X-Request-ID header",
    error,
  );
  met.push({ step, status, type: error.type });
  return error;
}

const met: { step: string; status: number; type: string }[] = [];
let stepNumber = 0;
function step(title: string): string {
  stepNumber += 1;
  console.log(`${String(stepNumber).padStart(2)}. ${title}`);
  return title;
}

// --- data a real client makes ---------------------------------------------------------------------

// GB 32100-2015: the unified social credit code's 18th character checks the first 17.
const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

function usccCheckCharacter(first17: string): string {
  let total = 0;
  for (let i = 0; i < 17; i += 1) {
    const value = USCC_ALPHABET.indexOf(first17.charAt(i));
    if (value < 0) throw new Error(`not a USCC character: ${first17.charAt(i)}`);
    total += value * (USCC_WEIGHTS[i] ?? 0);
  }
  return USCC_ALPHABET.charAt((31 - (total % 31)) % 31);
}

/** A fresh USCC for a company (registration authority 9, type 1) in the example's region. */
function freshUscc(region: string): string {
  let body = "";
  for (let i = 0; i < 9; i += 1) body += USCC_ALPHABET.charAt(randomInt(USCC_ALPHABET.length));
  const first17 = `91${region}${body}`;
  return first17 + usccCheckCharacter(first17);
}

/** The document's own registration example, made unique (a new e-mail and company). */
function registrationFromExample(): RegisterRequest {
  const schema = contract.document.components.schemas.RegisterRequest;
  const examples = schema?.examples;
  const example: unknown = Array.isArray(examples) ? examples[0] : undefined;
  const isRegisterRequest = contract.component<RegisterRequest>("RegisterRequest");
  if (!isRegisterRequest(example)) {
    fail("the document's RegisterRequest example", "does not match its own schema", isRegisterRequest.errors);
  }
  const body = example;
  const run = randomUUID().slice(0, 8);
  return {
    ...body,
    email: body.email.replace("@", `+${run}@`),
    organisation: {
      ...body.organisation,
      name: `${body.organisation.name}（${run}）`,
      uscc: freshUscc(body.organisation.region),
    },
  };
}

const HOUR = 3_600_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** The first `minutes`-long slot starting on the hour inside one of the free intervals. */
function firstFreeSlot(free: Schemas["Interval"][], minutes: number): { start_at: string; end_at: string } | undefined {
  for (const interval of free) {
    const from = Date.parse(interval.start);
    const to = Date.parse(interval.end);
    const start = Math.ceil(from / HOUR) * HOUR;
    const end = start + minutes * 60_000;
    if (end <= to) return { start_at: iso(start), end_at: iso(end) };
  }
  return undefined;
}

// --- the journey ----------------------------------------------------------------------------------

async function journey(): Promise<void> {
  const anonymous = client();

  // Register an SME: first with a mistyped USCC (its check character wrong), then as the example says.
  let s = step("register an SME with a mistyped USCC (wrong check character)");
  const registration = registrationFromExample();
  const uscc = registration.organisation.uscc;
  const wrongCheck = USCC_ALPHABET.charAt((USCC_ALPHABET.indexOf(uscc.charAt(17)) + 1) % USCC_ALPHABET.length);
  const mistyped = {
    ...registration,
    organisation: { ...registration.organisation, uscc: uscc.slice(0, 17) + wrongCheck },
  };
  // It matches the document (a string) and breaks a rule the schema cannot state: `invalid`, not `validation`.
  const badUscc = problem(s, await anonymous.POST("/api/v1/auth/register", { body: mistyped }), 422, "invalid");
  assert(
    badUscc.errors?.some((e) => e.loc.join(".") === "body.organisation.uscc"),
    s,
    "errors must name body.organisation.uscc",
    badUscc,
  );

  s = step("register an SME (the document's example, with a fresh e-mail and USCC)");
  const user = ok(s, await anonymous.POST("/api/v1/auth/register", { body: registration }), 201);
  assert(user.email === registration.email.toLowerCase(), s, "the user is the one registered", user);
  const membership = user.memberships.find((m) => m.organisation_kind === "sme");
  assert(membership?.role === "sme_admin", s, "the registrant administers the new SME", user);

  s = step("register the same e-mail again");
  problem(s, await anonymous.POST("/api/v1/auth/register", { body: registration }), 409, "already-exists");

  // Sign in (OAuth2 password flow: a form, not JSON).
  const signIn = (password: string) =>
    anonymous.POST("/api/v1/auth/token", {
      body: { username: registration.email, password },
      bodySerializer: (body) => new URLSearchParams({ username: body.username, password: body.password }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
  s = step("sign in with a wrong password");
  problem(s, await signIn(`${registration.password}-wrong`), 401, "invalid-credentials");

  s = step("sign in");
  const token = ok(s, await signIn(registration.password), 200);
  assert(token.access_token.length > 0 && token.expires_in > 0, s, "a token that expires", token);
  const me = client(token.access_token);

  // Update my organisation: a PATCH where null clears a field that may be empty, and is refused (and
  // not offered by the types) for one that may not.
  const organisation = { params: { path: { organisation_id: membership.organisation_id } } };
  s = step("give my organisation an English name");
  const named = ok(
    s,
    await me.PATCH("/api/v1/organisations/{organisation_id}", {
      ...organisation,
      body: { name_en: "Navi New Materials" },
    }),
    200,
  );
  assert(
    named.name_en === "Navi New Materials" && named.name === registration.organisation.name,
    s,
    "renamed in English only",
    named,
  );

  s = step("clear the English name (null, which the document allows for it)");
  const cleared = ok(
    s,
    await me.PATCH("/api/v1/organisations/{organisation_id}", { ...organisation, body: { name_en: null } }),
    200,
  );
  assert(cleared.name_en === null, s, "cleared", cleared);

  s = step("clear the name (null, which the document does not allow: a client must cast to send it)");
  // @ts-expect-error the document says a name cannot be cleared, so the generated type refuses null
  const clearName: Schemas["OrganisationUpdate"] = { name: null };
  const notCleared = problem(
    s,
    await me.PATCH("/api/v1/organisations/{organisation_id}", { ...organisation, body: clearName }),
    422,
    "validation",
  );
  assert(
    notCleared.errors?.some((e) => e.type === "not_null"),
    s,
    "the error says null is not allowed",
    notCleared,
  );

  s = step("list my bookings without a token");
  const noToken = await anonymous.GET("/api/v1/bookings", {});
  problem(s, noToken, 401, "unauthorized");
  assert(
    noToken.response.headers.get("www-authenticate")?.startsWith("Bearer"),
    s,
    "401 says WWW-Authenticate: Bearer",
  );

  s = step("list my bookings with a malformed token");
  problem(s, await client("not-a-jwt").GET("/api/v1/bookings", {}), 401, "invalid-token");

  // Search the catalogue (anonymous: the document marks it so) for a demo instrument.
  s = step("search the catalogue with trl_min out of range");
  const outOfRange = problem(
    s,
    await anonymous.GET("/api/v1/catalogue/search", { params: { query: { trl_min: 12 } } }),
    422,
    "validation",
  );
  assert(
    outOfRange.errors?.some((e) => e.loc.join(".") === "query.trl_min"),
    s,
    "errors must name query.trl_min",
    outOfRange,
  );

  s = step('search the catalogue for instruments: "battery" (no token: the document says none is needed)');
  const hits = ok(
    s,
    await anonymous.GET("/api/v1/catalogue/search", { params: { query: { q: "battery", kind: "instrument" } } }),
    200,
  );
  const hit = hits.items.find((h) => h.title_en === "Battery charge-discharge cycler");
  assert(hit !== undefined && hit.kind === "instrument", s, "the demo battery cycler is found", hits);

  s = step("read the instrument, its booking rules (no token: the document marks the token optional)");
  const instrument = ok(
    s,
    await anonymous.GET("/api/v1/instruments/{instrument_id}", { params: { path: { instrument_id: hit.id } } }),
    200,
  );
  assert(instrument.id === hit.id, s, "the instrument found", instrument);

  s = step("read the availability of an unknown instrument");
  const now = Date.now();
  const windowFrom = iso(Math.ceil((now + (instrument.lead_time_hours + 24) * HOUR) / HOUR) * HOUR);
  const windowTo = iso(Date.parse(windowFrom) + 14 * 24 * HOUR);
  problem(
    s,
    await me.GET("/api/v1/instruments/{instrument_id}/availability", {
      params: { path: { instrument_id: randomUUID() }, query: { from: windowFrom, to: windowTo } },
    }),
    404,
    "instrument-not-found",
  );

  s = step("read the instrument's availability for two weeks");
  const availability = ok(
    s,
    await me.GET("/api/v1/instruments/{instrument_id}/availability", {
      params: { path: { instrument_id: instrument.id }, query: { from: windowFrom, to: windowTo } },
    }),
    200,
  );
  const slot = firstFreeSlot(availability.free, Math.max(instrument.min_booking_minutes, 60));
  assert(slot !== undefined, s, "a free slot in the next two weeks", availability);
  console.log(`    free slot ${slot.start_at} .. ${slot.end_at}`);

  // Book it, meeting the errors on the way.
  s = step("book with an invalid body (a time without its offset)");
  const naive = problem(
    s,
    await me.POST("/api/v1/bookings", {
      body: { instrument_id: instrument.id, start_at: slot.start_at.replace("Z", ""), end_at: slot.end_at },
    }),
    422,
    "validation",
  );
  assert(
    naive.errors?.some((e) => e.loc.join(".") === "body.start_at"),
    s,
    "errors must name body.start_at",
    naive,
  );

  s = step("book a slot in the past");
  const pastStart = Math.floor((now - 3 * 24 * HOUR) / HOUR) * HOUR;
  const past = problem(
    s,
    await me.POST("/api/v1/bookings", {
      body: {
        instrument_id: instrument.id,
        start_at: iso(pastStart),
        end_at: iso(pastStart + instrument.min_booking_minutes * 60_000),
      },
    }),
    422,
    "booking-rule-violated",
  );
  assert(typeof past.rule === "string" && past.rule.length > 0, s, "the problem names the rule", past);

  const booking = {
    instrument_id: instrument.id,
    ...slot,
    purpose: "电池循环寿命测试 cycle-life test (client journey)",
  };
  s = step("quote the booking (dry run)");
  const quote = asQuote(
    s,
    ok(s, await me.POST("/api/v1/bookings", { params: { query: { dry_run: true } }, body: booking }), 200),
  );
  assert(quote.instrument_id === instrument.id && quote.total.amount > 0, s, "a priced quote", quote);

  s = step("book the free slot (with an Idempotency-Key)");
  const key = randomUUID();
  const created = await me.POST("/api/v1/bookings", { params: { header: { "Idempotency-Key": key } }, body: booking });
  const booked = asBooking(s, ok(s, created, 201));
  assert(
    booked.instrument.id === instrument.id && booked.instrument.title === instrument.title,
    s,
    "the booking names its instrument",
    booked,
  );
  assert(booked.state === quote.initial_state, s, `state ${quote.initial_state} as quoted`, booked);
  assert(booked.price.quoted.amount === quote.total.amount, s, "the frozen price is the quote", booked);
  assert(booked.cancellation_fee === null, s, "no cancellation fee before cancelling", booked);

  s = step("retry the same booking with the same Idempotency-Key (a lost response)");
  const replay = await me.POST("/api/v1/bookings", { params: { header: { "Idempotency-Key": key } }, body: booking });
  const replayed = asBooking(s, ok(s, replay, 201));
  assert(replayed.id === booked.id, s, "the first booking again, not a second one", replayed);
  assert(replay.response.headers.get("idempotent-replayed") === "true", s, "Idempotent-Replayed: true");

  s = step("reuse the Idempotency-Key for another request");
  problem(
    s,
    await me.POST("/api/v1/bookings", {
      params: { header: { "Idempotency-Key": key } },
      body: { ...booking, purpose: "another request" },
    }),
    409,
    "idempotency-key-reused",
  );

  s = step("book the same slot again (another key)");
  const overlap = problem(
    s,
    await me.POST("/api/v1/bookings", { params: { header: { "Idempotency-Key": randomUUID() } }, body: booking }),
    409,
    "booking-overlap",
  );
  assert(
    overlap.conflicts?.some(
      (c) => Date.parse(c.start_at) === Date.parse(slot.start_at) && Date.parse(c.end_at) === Date.parse(slot.end_at),
    ),
    s,
    "conflicts names the taken slot",
    overlap,
  );

  s = step("list my bookings");
  const mine = ok(s, await me.GET("/api/v1/bookings", { params: { query: { limit: 100 } } }), 200);
  const listed = mine.items.find((b) => b.id === booked.id);
  assert(listed !== undefined, s, "my booking is listed", mine);
  assert(
    mine.items.every((b) => b.customer_org_id === membership.organisation_id),
    s,
    "only my organisation's bookings",
    mine,
  );
  assert(
    listed.instrument.centre_name.length > 0,
    s,
    "each booking names its centre (one call for the screen)",
    listed,
  );

  s = step("cancel the booking");
  const cancelled = ok(
    s,
    await me.POST("/api/v1/bookings/{booking_id}/cancel", {
      params: { path: { booking_id: booked.id } },
      body: { reason: "plans changed" },
    }),
    200,
  );
  assert(cancelled.state === "cancelled", s, "cancelled", cancelled);
  assert(cancelled.cancellation_fee?.amount === 0, s, "free: well before the free-cancellation limit", cancelled);

  s = step("cancel it again");
  const twice = problem(
    s,
    await me.POST("/api/v1/bookings/{booking_id}/cancel", { params: { path: { booking_id: booked.id } }, body: {} }),
    409,
    "invalid-booking-transition",
  );
  assert(twice.state === "cancelled", s, "the problem says its state", twice);

  s = step("read the booking back");
  const readBack = ok(
    s,
    await me.GET("/api/v1/bookings/{booking_id}", { params: { path: { booking_id: booked.id } } }),
    200,
  );
  assert(readBack.state === "cancelled" && readBack.closed_at !== null, s, "cancelled, and closed", readBack);

  s = step("read a booking that does not exist");
  problem(
    s,
    await me.GET("/api/v1/bookings/{booking_id}", { params: { path: { booking_id: randomUUID() } } }),
    404,
    "booking-not-found",
  );

  s = step("cancel a booking that does not exist");
  problem(
    s,
    await me.POST("/api/v1/bookings/{booking_id}/cancel", { params: { path: { booking_id: randomUUID() } }, body: {} }),
    404,
    "booking-not-found",
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  try {
    await journey();
  } catch (err: unknown) {
    if (err instanceof ContractViolation || err instanceof JourneyFailure) {
      console.error(`\nFAILED: ${err.message}`);
    } else {
      console.error("\nFAILED with an unexpected error:", err);
    }
    return 1;
  }
  const errors = contract.checked.filter((a) => a.status >= 400);
  const operations = new Set(contract.checked.map((a) => a.operationId));
  console.log(
    `\njourney passed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${contract.checked.length} answers from ` +
      `${operations.size} of ${contract.operationCount()} operations matched the document; ${errors.length} errors, ` +
      "each application/problem+json matching Problem:",
  );
  for (const e of met) console.log(`  ${e.status} ${e.type.replace(PROBLEM, "")}  (${e.step})`);
  if (errors.length !== met.length) {
    console.error(`FAILED: ${errors.length} error answers but ${met.length} expected`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
