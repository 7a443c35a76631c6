import { type Challenge, type ErrorCode, HitlError, type Receipt } from "@hitl/verifier";
import type { Approver } from "./lib/outcome.js";

/*
 * Typed errors for callers that prefer throwing. Every ERR_ code belongs to exactly one class
 * (lib/error-classes.ts holds the map, sdk/README.md documents it); `code` and `message` are the
 * same as in the outcome requestApproval resolves with. All four mean one thing to the caller:
 * the action must not run.
 */

export interface ApprovalErrorDetails {
  /** The challenge that was sent, when one was. */
  challenge?: Challenge | undefined;
  cause?: unknown;
}

/** Base class: no verified approval. `instanceof HitlError` holds too. */
export abstract class ApprovalError extends HitlError {
  readonly challenge: Challenge | undefined;

  constructor(code: ErrorCode, message: string, details: ApprovalErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.challenge = details.challenge;
  }
}

/**
 * The human said no (a denial signed by their key and verified: `receipt` and `approver` are set),
 * or the request was withdrawn and nothing was signed (ERR_WITHDRAWN: both unset).
 */
export class ApprovalDenied extends ApprovalError {
  readonly receipt: Receipt | undefined;
  readonly approver: Approver | undefined;

  constructor(code: ErrorCode, message: string, details: ApprovalErrorDetails & { receipt?: Receipt; approver?: Approver } = {}) {
    super(code, message, details);
    this.name = "ApprovalDenied";
    this.receipt = details.receipt;
    this.approver = details.approver;
  }
}

/** Nobody decided in time (ERR_TIMEOUT), or the challenge expired on its way (ERR_EXPIRED). */
export class ApprovalTimeout extends ApprovalError {
  constructor(code: ErrorCode, message: string, details: ApprovalErrorDetails = {}) {
    super(code, message, details);
    this.name = "ApprovalTimeout";
  }
}

/**
 * No human could be asked, or the answer could not be checked: host down, extension not
 * connected, not paired, replay store down, bad configuration or usage (ERR_USAGE: e.g. an
 * argument JSON cannot represent). Fix what the message says, then try again.
 */
export class ApprovalUnavailable extends ApprovalError {
  constructor(code: ErrorCode, message: string, details: ApprovalErrorDetails = {}) {
    super(code, message, details);
    this.name = "ApprovalUnavailable";
  }
}

/**
 * An answer came back and failed verification: signature, key, challenge, audience, time window,
 * intent, replay, the host's proof, or the protocol's strict shape checks. Possibly an attack:
 * worth a look, never a retry loop.
 */
export class ReceiptInvalid extends ApprovalError {
  constructor(code: ErrorCode, message: string, details: ApprovalErrorDetails = {}) {
    super(code, message, details);
    this.name = "ReceiptInvalid";
  }
}
