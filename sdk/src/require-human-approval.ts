import { checkName, type GuardOptions, normalizeGuardOptions, usage } from "./lib/approval-options.js";
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
 * The call's name defaults to the method's name as written (context.name): the class's runtime
 * name is not used, since compilers rename classes (esbuild turns a decorated class expression
 * into `_a`). options.name gives a qualified name instead ("Releaser.publish"). `this` is passed
 * through, not serialised: the object's state is not part of what the human approves.
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
    const name =
      normalized.name ?? checkName(typeof context.name === "symbol" ? context.name.description : context.name, "the method's name");
    return guard(method, describe, normalized, () => name) as (this: This, ...args: Args) => Promise<never>;
  };
}
