// Every answer the journey receives is held to the OpenAPI document: its status must be documented
// for the operation, its Content-Type must be a documented media type (problem+json for errors), and
// its body must validate against that media type's schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1
// uses it). Objects are checked closed (`additionalProperties: false` where the document declares
// properties), so a member the document does not declare is a mismatch too. That includes `Problem`:
// it allows extension members (RFC 9457), and the document promises to declare every one the API
// sends, so an undeclared one is reported.
import { readFileSync } from "node:fs";

import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const DOCUMENT_ID = "urn:ttm:openapi";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface MediaTypeObject {
  schema?: JsonObject;
}
interface HeaderObject {
  description?: string;
  required?: boolean;
  schema?: JsonObject;
}
interface ResponseObject {
  description?: string;
  content?: Record<string, MediaTypeObject>;
  headers?: Record<string, HeaderObject>;
}
interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, JsonObject> };
}

/** One answer checked against the document (kept for the summary). */
export interface CheckedAnswer {
  operationId: string;
  method: string;
  path: string;
  status: number;
  mediaType: string;
  schema: string;
  problemType?: string;
}

export class ContractViolation extends Error {
  constructor(
    readonly where: string,
    readonly mismatches: string[],
    readonly body: unknown,
  ) {
    super(
      `${where} does not match the OpenAPI document:\n  - ${mismatches.join("\n  - ")}\n` +
        `  body: ${JSON.stringify(body, null, 2)?.slice(0, 4000)}`,
    );
    this.name = "ContractViolation";
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The schema with `#/components/schemas/X` references made absolute (so inline response schemas
 * compile on their own) and, when `closed`, every object schema that declares properties refusing
 * undeclared members (a map, with no properties, keeps its `additionalProperties`). */
function rewrite(node: Json, closed: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, closed));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")) {
      out[key] = `${DOCUMENT_ID}${closed ? "-closed" : ""}#/$defs/${value.slice("#/components/schemas/".length)}`;
    } else if (key === "properties" && isObject(value)) {
      // Property names are not schemas: keep them, rewrite each property's schema.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, rewrite(s, closed)]));
    } else if (key === "examples" || key === "example" || key === "default" || key === "const" || key === "enum") {
      out[key] = value; // data, not schemas
    } else {
      out[key] = rewrite(value, closed);
    }
  }
  if (
    closed &&
    isObject(node.properties) &&
    (!("additionalProperties" in node) || node.additionalProperties === true)
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || "(body)";
    const extra =
      e.keyword === "additionalProperties"
        ? ` (undocumented member "${String(e.params.additionalProperty)}")`
        : e.keyword === "enum"
          ? ` (allowed: ${JSON.stringify(e.params.allowedValues)})`
          : "";
    return `${where}: ${e.message ?? e.keyword}${extra} [schema ${e.schemaPath}]`;
  });
}

/** What the check reads of a response's headers (the Fetch API's Headers has it). */
export interface HeaderReader {
  get(name: string): string | null;
}

export class Contract {
  readonly document: OpenApiDocument;
  readonly checked: CheckedAnswer[] = [];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  /** Every response header the document names anywhere (lower case): an answer that carries one must
   * document it for its status. */
  private readonly apiHeaders = new Set<string>();

  constructor(documentPath: string) {
    const parsed: unknown = JSON.parse(readFileSync(documentPath, "utf-8"));
    if (!isObject(parsed) || !isObject(parsed.paths) || !isObject(parsed.components)) {
      throw new Error(`${documentPath} is not an OpenAPI document`);
    }
    this.document = parsed as unknown as OpenApiDocument;
    if (!this.document.openapi.startsWith("3.1")) {
      throw new Error(`expected OpenAPI 3.1 (JSON Schema 2020-12), got ${this.document.openapi}`);
    }
    // strict: unknown keywords and formats are errors, so a schema ajv would silently not check fails here.
    this.ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's own keyword: documentation only for ajv (oneOf is still checked).
    this.ajv.addKeyword({ keyword: "discriminator", schemaType: "object" });
    this.ajv.addFormat("binary", true); // file bodies; never a JSON answer
    const schemas = this.document.components.schemas;
    for (const item of Object.values(this.document.paths)) {
      for (const op of Object.values(item)) {
        for (const response of Object.values(op.responses ?? {})) {
          for (const name of Object.keys(response.headers ?? {})) this.apiHeaders.add(name.toLowerCase());
        }
      }
    }
    for (const closed of [false, true]) {
      const defs = Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, rewrite(s, closed)]));
      this.ajv.addSchema({ $id: `${DOCUMENT_ID}${closed ? "-closed" : ""}`, $defs: defs });
    }
  }

  /** A type guard for a component, checked as the document says it (not closed): `T` is the
   * generated type of that component, so data that passes may be used as one. */
  component<T>(name: string): ValidateFunction<T> {
    return this.ajv.compile<T>({ $ref: `${DOCUMENT_ID}#/$defs/${name}` });
  }

  private compile(key: string, schema: JsonObject): ValidateFunction {
    let fn = this.validators.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.validators.set(key, fn);
    }
    return fn;
  }

  operation(method: string, path: string): OperationObject {
    const op = this.document.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    return op;
  }

  /** Every operation in the document (for the summary). */
  operationCount(): number {
    let n = 0;
    for (const item of Object.values(this.document.paths)) {
      for (const m of METHODS) if (item[m]) n += 1;
    }
    return n;
  }

  /** The response headers against the response's `headers`: each required one present, each one the
   * API documents anywhere documented here when sent, and each value valid for its schema. */
  private checkHeaders(documented: ResponseObject, status: number, headers: HeaderReader): string[] {
    const declared = new Map(Object.entries(documented.headers ?? {}).map(([n, h]) => [n.toLowerCase(), h]));
    const mismatches: string[] = [];
    for (const [name, header] of declared) {
      const value = headers.get(name);
      if (value === null) {
        if (header.required) mismatches.push(`required header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        const parsed: unknown = header.schema.type === "integer" && /^-?\d+$/.test(value) ? Number(value) : value;
        const validate = this.compile(
          `header ${JSON.stringify(header.schema)}`,
          rewrite(header.schema, true) as JsonObject,
        );
        if (!validate(parsed))
          mismatches.push(`header ${name}: ${JSON.stringify(value)} ${describe(validate.errors).join("; ")}`);
      }
    }
    for (const name of this.apiHeaders) {
      if (!declared.has(name) && headers.get(name) !== null) {
        mismatches.push(`header ${name} is sent but not documented for ${status}`);
      }
    }
    return mismatches;
  }

  /** Hold one answer to the document; throws ContractViolation listing every mismatch. */
  check(method: string, path: string, status: number, headers: HeaderReader, body: unknown): CheckedAnswer {
    const contentType = headers.get("content-type");
    const op = this.operation(method, path);
    const operationId = op.operationId ?? `${method} ${path}`;
    const where = `${operationId} (${method.toUpperCase()} ${path}) answered ${status}`;
    const responses = op.responses ?? {};
    const documented = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!documented) {
      throw new ContractViolation(
        where,
        [`status ${status} is not documented (documented: ${Object.keys(responses).join(", ")})`],
        body,
      );
    }
    const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
    const content = documented.content ?? {};
    const media = content[mediaType];
    if (!media) {
      const expected = Object.keys(content);
      throw new ContractViolation(
        where,
        [`Content-Type "${mediaType}" is not documented for ${status} (documented: ${expected.join(", ") || "none"})`],
        body,
      );
    }
    const isError = status >= 400;
    if (isError && mediaType !== "application/problem+json") {
      throw new ContractViolation(where, [`an error answered ${mediaType}, not application/problem+json`], body);
    }
    if (!media.schema || Object.keys(media.schema).length === 0) {
      throw new ContractViolation(where, [`${status} ${mediaType} has no schema in the document`], body);
    }
    const schemaKey = `${method} ${path} ${status} ${mediaType}`;
    const validate = this.compile(schemaKey, rewrite(media.schema as Json, true) as JsonObject);
    if (!validate(body)) {
      throw new ContractViolation(where, describe(validate.errors), body);
    }
    const headerMismatches = this.checkHeaders(documented, status, headers);
    if (headerMismatches.length > 0) throw new ContractViolation(where, headerMismatches, body);
    const ref = media.schema.$ref;
    const answer: CheckedAnswer = {
      operationId,
      method: method.toUpperCase(),
      path,
      status,
      mediaType,
      schema: typeof ref === "string" ? ref.replace("#/components/schemas/", "") : "(inline)",
    };
    if (isError && isObject(body) && typeof body.type === "string") answer.problemType = body.type;
    this.checked.push(answer);
    return answer;
  }
}
