import { type JsonValue, LIMITS } from "@hitl/verifier";
import { isWellFormed } from "@hitl/verifier/protocol";
import { ApprovalUnavailable } from "../approval-errors.js";

/*
 * The arguments a guarded function will receive, as a fresh tree of plain JSON values, read
 * once. The approval binds this tree and the function runs with a copy parsed from it, so
 * anything JSON cannot represent faithfully is refused here (ERR_USAGE, naming the argument's
 * path), before anyone is asked: a value that would arrive changed is not the value approved.
 *
 * JSON.stringify's own rules, made strict: an object member that is `undefined` is dropped
 * (the function gets the object without that key); a value with a toJSON method is replaced by
 * what toJSON returns (a Date arrives as its ISO string). Everything else JSON would drop or
 * change silently is an error: functions, symbols, BigInt, `undefined` in an array or as an
 * argument, NaN, ±Infinity, -0, cycles, sparse arrays, arrays with extra properties,
 * symbol-keyed properties, lone surrogates, class instances without toJSON, getters or toJSON
 * methods that throw.
 */

/** Deeper than the approval window shows, so deeper than can be approved. */
const MAX_DEPTH = LIMITS.detailsDepth;

/** A member that JSON would leave out: dropped in an object, an error anywhere else. */
const OMITTED: unique symbol = Symbol("omitted");

export function snapshotArguments(args: readonly unknown[]): JsonValue[] {
  return args.map((arg, index) => required(snapshotValue(arg, String(index), `arguments[${index}]`, [], 0), `arguments[${index}]`));
}

function snapshotValue(input: unknown, key: string, path: string, ancestors: object[], depth: number): JsonValue | typeof OMITTED {
  let value = input;
  if (typeof value === "object" && value !== null && typeof readToJson(value, path) === "function") {
    if (ancestors.includes(value)) refuse(path, "refers back to an object that contains it (a cycle)");
    try {
      value = (value as { toJSON(key: string): unknown }).toJSON(key);
    } catch (error) {
      refuse(path, `has a toJSON method that threw (${describeError(error)})`);
    }
    if (value === input) refuse(path, "has a toJSON method that returns the object itself");
    return snapshotValue(value, key, path, [...ancestors, input as object], depth);
  }
  switch (typeof value) {
    case "string":
      if (!isWellFormed(value)) refuse(path, "is a string with a lone UTF-16 surrogate, which has no faithful JSON form");
      return value;
    case "number":
      if (!Number.isFinite(value)) refuse(path, `is ${String(value)}, which JSON turns into null`);
      if (Object.is(value, -0)) refuse(path, "is -0, which JSON turns into 0");
      return value;
    case "boolean":
      return value;
    case "undefined":
      return OMITTED;
    case "bigint":
      return refuse(path, "is a BigInt, which JSON cannot represent; pass it as a string");
    case "symbol":
      return refuse(path, "is a symbol, which JSON cannot represent");
    case "function":
      return refuse(path, "is a function, which JSON cannot represent; a guarded function takes data only");
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.includes(object)) refuse(path, "refers back to an object that contains it (a cycle)");
  if (depth >= MAX_DEPTH) refuse(path, `nests deeper than ${MAX_DEPTH} levels, more than the approval window shows`);
  try {
    return Array.isArray(object)
      ? snapshotArray(object, path, [...ancestors, object], depth)
      : snapshotObject(object, path, [...ancestors, object], depth);
  } catch (error) {
    if (error instanceof ApprovalUnavailable) throw error;
    // A revoked proxy, an exotic object: anything that throws while being read.
    return refuse(path, `could not be read (${describeError(error)})`);
  }
}

function snapshotArray(array: readonly unknown[], path: string, ancestors: object[], depth: number): JsonValue[] {
  refuseSymbolKeys(array, path);
  const out: JsonValue[] = [];
  for (let i = 0; i < array.length; i++) {
    const itemPath = `${path}[${i}]`;
    if (!(i in array)) refuse(itemPath, "is a hole in a sparse array, which JSON turns into null");
    out.push(required(snapshotValue(read(array, String(i), itemPath), String(i), itemPath, ancestors, depth + 1), itemPath));
  }
  // Holes are refused above, so more keys than elements means named properties JSON would drop.
  if (Object.keys(array).length !== array.length) refuse(path, "is an array with extra properties, which JSON drops");
  return out;
}

function snapshotObject(object: object, path: string, ancestors: object[], depth: number): { [key: string]: JsonValue } {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const name = typeof proto?.constructor?.name === "string" && proto.constructor.name !== "" ? proto.constructor.name : "a class";
    refuse(path, `is an instance of ${name} without toJSON; pass a plain object (or give the class a toJSON method)`);
  }
  refuseSymbolKeys(object, path);
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(object)) {
    const memberPath = `${path}${memberAccess(key)}`;
    if (!isWellFormed(key)) refuse(memberPath, "has a name with a lone UTF-16 surrogate, which has no faithful JSON form");
    const member = snapshotValue(read(object, key, memberPath), key, memberPath, ancestors, depth + 1);
    // JSON's rule: an undefined member is left out, and the function gets the object without it.
    if (member === OMITTED) continue;
    // defineProperty: a member named "__proto__" stays a member, as JSON.parse keeps it.
    Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readToJson(object: object, path: string): unknown {
  try {
    return (object as { toJSON?: unknown }).toJSON;
  } catch (error) {
    // A revoked proxy, a getter named toJSON that throws.
    return refuse(path, `could not be read (${describeError(error)})`);
  }
}

function read(object: object, key: string, path: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch (error) {
    return refuse(path, `threw when read (${describeError(error)})`);
  }
}

function refuseSymbolKeys(object: object, path: string): void {
  const symbols = Object.getOwnPropertySymbols(object).filter((symbol) => Object.prototype.propertyIsEnumerable.call(object, symbol));
  if (symbols.length > 0) refuse(path, `has symbol-keyed properties (${symbols.map(String).join(", ")}), which JSON drops`);
}

function required(value: JsonValue | typeof OMITTED, path: string): JsonValue {
  if (value === OMITTED)
    refuse(path, "is undefined, which JSON cannot represent here (it would arrive as null); pass null or leave it out");
  return value;
}

function memberAccess(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function refuse(path: string, problem: string): never {
  throw new ApprovalUnavailable("ERR_USAGE", `Cannot ask for approval: ${path} ${problem}. Nobody was asked and nothing ran.`);
}
