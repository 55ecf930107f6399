// A small JSON Schema validator for the tests of docs/schemas/*.json: the keywords those
// files use (type, enum, const, properties, required, additionalProperties, items, minimum,
// oneOf, $ref to #/$defs/…). An unknown keyword is an error, so a schema cannot silently
// say more than is checked.

const KNOWN = new Set([
  "$schema",
  "title",
  "description",
  "$defs",
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minimum",
  "oneOf",
  "$ref",
]);

type Schema = Record<string, any>;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** The problems of `value` against `schema` (empty: valid). */
export function validate(
  schema: Schema,
  value: unknown,
  root: Schema = schema,
  path = "$",
): string[] {
  for (const k of Object.keys(schema))
    if (!KNOWN.has(k)) return [`${path}: unsupported keyword ${k}`];
  if (schema.$ref) {
    const name = String(schema.$ref).replace(/^#\/\$defs\//, "");
    return validate(root.$defs[name], value, root, path);
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) {
      return [`${path}: ${t}, expected ${types.join(" or ")}`];
    }
  }
  if (schema.enum && !schema.enum.includes(value))
    errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if ("const" in schema && value !== schema.const)
    errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) {
    errors.push(`${path}: below ${schema.minimum}`);
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${k}`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => errors.push(...validate(schema.items, v, root, `${path}[${i}]`)));
  }
  if (schema.oneOf) {
    const passing = (schema.oneOf as Schema[]).filter(
      (s) => validate(s, value, root, path).length === 0,
    );
    if (passing.length !== 1) errors.push(`${path}: matches ${passing.length} of oneOf`);
  }
  return errors;
}
