import { type GuardOptions, normalizeGuardOptions, usage } from "./lib/approval-options.js";
import { guard } from "./lib/guard.js";

export type RequireHumanApprovalOptions = GuardOptions;

/**
 * A standard (TC39) method decorator: the method asks a human first and runs only after a
 * verified approval, exactly like withApproval. The method must be async (asking takes time).
 *
 *     class Deployer {
 *       @requireHumanApproval((env: string) => `Deploy to ${env}`)
 *       async deploy(env: string) { ... }
 *     }
 *
 * The call's name defaults to `Class.method`, the class being that of `this` at call time (for
 * a static method, `this` itself); options.name fixes it instead. `this` is passed through, not
 * serialised: the object's state is not part of what the human approves.
 */
export function requireHumanApproval<This, Args extends unknown[]>(
  describe: (this: This, ...args: Args) => string,
  options?: RequireHumanApprovalOptions,
): <Result>(
  method: (this: This, ...args: Args) => Promise<Result>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<Result>>,
) => (this: This, ...args: Args) => Promise<Result> {
  if (typeof describe !== "function") usage("@requireHumanApproval(describe) needs describe, a function returning the action text");
  const normalized = normalizeGuardOptions(options);
  return (method, context) => {
    if (context?.kind !== "method") usage("@requireHumanApproval decorates methods only (standard decorators, not experimentalDecorators)");
    const methodName = typeof context.name === "symbol" ? (context.name.description ?? "symbol") : context.name;
    const nameOf = (receiver: This): string => normalized.name ?? `${className(receiver, context.static)}.${methodName}`;
    return guard(method, describe, normalized, nameOf) as (this: This, ...args: Args) => Promise<never>;
  };
}

function className(receiver: unknown, isStatic: boolean): string {
  const owner = isStatic ? receiver : (receiver as { constructor?: unknown } | null | undefined)?.constructor;
  const name = typeof owner === "function" ? owner.name : "";
  return name === "" ? "(anonymous class)" : name;
}
