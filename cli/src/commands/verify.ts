import { open } from "node:fs/promises";
import {
  type ApproverKey,
  DEFAULT_AUDIENCE,
  decodeBase64url,
  HitlError,
  type KeyDirectory,
  LIMITS,
  LocalKeyDirectory,
  type Receipt,
  resolvePaths,
  verifyReceipt,
} from "@hitl/verifier";
import { parseReceiptJson, parseStrictJson } from "@hitl/verifier/protocol";
import { defineCommand, EXIT, type FlagValues, usageError } from "../lib/command.js";
import { markedForTerminal, usesColour } from "../lib/marked-output.js";
import { approverJson, describeApprover, printJson, printProblem } from "../lib/output.js";

const OPTIONS = {
  approvers: { type: "string", value: "FILE", help: `approvers file holding the keys (default: ${resolvePaths().approversFile})` },
  "public-key": {
    type: "string",
    value: "B64URL",
    help: "verify with this raw Ed25519 public key (base64url, 32 bytes) instead,\nwhatever approver name the receipt carries",
  },
  aud: { type: "string", value: "AUD", help: `audience the receipt must be for (default "${DEFAULT_AUDIENCE}")` },
  intent: {
    type: "string",
    value: "DIGEST",
    help: "the intent digest the receipt must carry (base64url SHA-256 of the JCS\nintent); default: the digest of the action (approved without a\nstructured call)",
  },
  at: {
    type: "string",
    value: "TIME",
    help: 'check the time window at TIME: seconds since the epoch, or "now"\n(default: the decision time, i.e. "was it valid when it was given?")',
  },
  json: { type: "boolean", help: 'print {"valid", "decision"?, "code"?, "message"?, "approver"?} on stdout' },
} as const;

export const command = defineCommand({
  name: "verify",
  usage: "RECEIPT.json [options]",
  description: `Checks the receipt's shape and sizes, the approver's registered key, the Ed25519 signature
(RFC 8032 strict), that the signed decision is about exactly this challenge, that it is an
approval, the audience and the time window.

This is an audit tool: it does NOT consume the receipt's nonce, so it cannot tell whether the
receipt was already used. Only the verifier that acted on the approval (hitl request, the SDK)
enforces single use.

RECEIPT.json is a receipt, or what 'hitl request --json' printed (its "receipt" is checked), or
"-" for standard input. It is at most ${LIMITS.receiptBytes} bytes.`,
  options: OPTIONS,
  positionals: true,
  jsonError: { valid: false },
  exits: {
    ok: "a valid approval",
    denied: "a validly signed denial",
    error:
      'anything else (altered, forged, unknown key, wrong audience, expired, unreadable, ...),\nwith "hitl: ERR_CODE: reason" on stderr',
  },
  run: ({ values, positionals, json }) => verify(verifyArgs(values, positionals), json),
});
export const run = command.run;

export interface VerifyArgs {
  json: boolean;
  file: string;
  approvers?: string;
  publicKey?: Uint8Array;
  aud: string;
  intent?: string;
  /** Seconds since the epoch, "now", or undefined for the decision time. */
  at?: number | "now";
}

type VerifyValues = FlagValues<typeof OPTIONS>;

function verifyArgs(values: VerifyValues, positionals: string[]): VerifyArgs {
  const json = values.json === true;
  const usage = (message: string): never => {
    throw usageError("verify", message);
  };
  if (positionals.length !== 1) usage(`Give exactly one receipt file (or - for standard input), got ${positionals.length}.`);
  if (values.approvers !== undefined && values["public-key"] !== undefined) usage("Use --approvers or --public-key, not both.");
  if (values.approvers === "") usage("--approvers must name a file.");
  if (values.aud === "") usage("--aud must not be empty.");
  const args: VerifyArgs = { json, file: positionals[0]!, aud: values.aud ?? DEFAULT_AUDIENCE };
  if (values.approvers !== undefined) args.approvers = values.approvers;
  if (values["public-key"] !== undefined) args.publicKey = parsePublicKey(values["public-key"]);
  if (values.intent !== undefined) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(values.intent)) usage("--intent must be a base64url SHA-256 digest (43 characters).");
    args.intent = values.intent;
  }
  if (values.at !== undefined) {
    if (values.at === "now") args.at = "now";
    else if (/^[0-9]{1,11}$/.test(values.at)) args.at = Number(values.at);
    else usage(`--at must be seconds since the epoch or "now", got ${JSON.stringify(values.at)}.`);
  }
  return args;
}

function parsePublicKey(text: string): Uint8Array {
  const key = decodeBase64url(text, "--public-key");
  if (key.length !== 32) {
    throw new HitlError(
      "ERR_USAGE",
      `--public-key must be a raw 32-byte Ed25519 key in base64url (43 characters), got ${key.length} bytes.`,
    );
  }
  return key;
}

async function verify(args: VerifyArgs, json: boolean): Promise<number> {
  let receipt: Receipt | undefined;
  let keys: KeyDirectory | undefined;
  try {
    // Shape and size first, then the keys: the same order as the verifier itself.
    receipt = parseReceiptJson(receiptText(await readReceiptText(args.file)));
    keys =
      args.publicKey !== undefined
        ? LocalKeyDirectory.fromPublicKey(undefined, args.publicKey)
        : await LocalKeyDirectory.open(args.approvers ?? resolvePaths().approversFile);
    const atSeconds = args.at === "now" ? Date.now() / 1000 : (args.at ?? receipt.statement.decidedAt);
    const verified = await verifyReceipt(
      receipt,
      { aud: args.aud, ...(args.intent !== undefined && { intent: args.intent }) },
      {
        keys,
        nonces: "offline-audit",
        clock: () => atSeconds * 1000,
      },
    );
    report({ valid: true, decision: "approve", approver: verified.approver }, receipt, json);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    if (error.code === "ERR_DENIED" && receipt !== undefined && keys !== undefined) {
      // verifyReceipt raises ERR_DENIED only after the signature verified: a real, signed refusal.
      const approver = await keys.lookup(receipt.statement.sub, receipt.kid);
      report({ valid: false, decision: "deny", code: error.code, message: error.message, ...(approver && { approver }) }, receipt, json);
      return EXIT.denied;
    }
    report({ valid: false, code: error.code, message: error.message }, receipt, json);
    return EXIT.error;
  }
}

/**
 * The receipt's JSON text. What `hitl request --json` printed ({"decision", ..., "receipt": {...}})
 * is accepted too: read with the protocol's strict JSON rules (no duplicate names, canonical
 * numbers, so re-serialising changes nothing), its "receipt" member is the receipt, which the
 * receipt parser then checks as any other. The rest of that document is never used.
 */
function receiptText(text: string): string {
  let document: unknown;
  try {
    document = parseStrictJson(text, "the receipt");
  } catch {
    return text; // not strict JSON: the receipt parser says what is wrong
  }
  if (typeof document !== "object" || document === null || Array.isArray(document) || !Object.hasOwn(document, "decision")) return text;
  const output = document as Record<string, unknown>;
  if (!Object.hasOwn(output, "receipt")) {
    const said = typeof output.code === "string" ? ` (${output.code})` : "";
    throw new HitlError(
      "ERR_MALFORMED",
      `This is what 'hitl request --json' printed for a request that ended without a signed receipt${said}; there is no receipt in it to verify.`,
    );
  }
  return JSON.stringify(output.receipt);
}

interface Verdict {
  valid: boolean;
  decision?: "approve" | "deny";
  code?: string;
  message?: string;
  approver?: ApproverKey;
}

function report(verdict: Verdict, receipt: Receipt | undefined, json: boolean): void {
  if (verdict.code !== undefined) printProblem(verdict.code, verdict.message ?? "");
  if (json) {
    printJson({ ...verdict, ...(verdict.approver && { approver: approverJson(verdict.approver) }) });
    return;
  }
  if (verdict.valid && verdict.approver !== undefined && receipt !== undefined) {
    const decidedAt = new Date(receipt.statement.decidedAt * 1000).toISOString();
    // The signed text, marked as the approval window showed it (no raw control or bidi characters).
    const colour = usesColour(process.stdout, process.env);
    const { action, aud } = receipt.challenge;
    const details =
      action.details === undefined
        ? ""
        : `Details: ${markedForTerminal(JSON.stringify(action.details, null, 2), colour, { keepIndentation: true, indent: "  " })}\n`;
    process.stdout.write(
      `VALID — approved by ${describeApprover(verdict.approver)} at ${decidedAt}\n` +
        `Action: ${markedForTerminal(action.summary, colour, { indent: "  " })}\n` +
        details +
        `Audience: ${markedForTerminal(aud, colour)} — nonce not consumed (offline audit)\n`,
    );
  }
}

/** Reads at most LIMITS.receiptBytes (+1 to detect more) from a file or stdin, as strict UTF-8. */
async function readReceiptText(file: string): Promise<string> {
  const limit = LIMITS.receiptBytes;
  const chunks: Buffer[] = [];
  let total = 0;
  const take = (chunk: Buffer): boolean => {
    chunks.push(chunk);
    total += chunk.length;
    return total <= limit;
  };
  if (file === "-") {
    for await (const chunk of process.stdin) if (!take(chunk as Buffer)) break;
  } else {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new HitlError("ERR_USAGE", `Cannot read the receipt file ${file} (${code}). Check the path.`);
    }
    try {
      for (;;) {
        const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(16 * 1024) });
        if (bytesRead === 0 || !take(buffer.subarray(0, bytesRead))) break;
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new HitlError("ERR_USAGE", `Cannot read the receipt file ${file} (${code}). Check the path.`);
    } finally {
      await handle.close();
    }
  }
  if (total > limit) throw new HitlError("ERR_TOO_LARGE", `The receipt is larger than ${limit} bytes; it cannot be a hitl receipt.`);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HitlError("ERR_INVALID_ENCODING", "The receipt is not valid UTF-8; it was corrupted or is not a hitl receipt.");
  }
}
